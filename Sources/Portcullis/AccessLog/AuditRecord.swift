import NIOCore
import NIOHTTP1

/// One line of the audit log: something the gateway did to someone (blocked a request, banned a
/// key, quarantined an upload) or to itself (reloaded its policy), for the security team.
/// `{"time":…,"event":"ban","request_id":…,"client":…,"rule":…,"detail":{…}}`; fields that do
/// not apply (no request for a reload) are left out.
public struct AuditRecord: Sendable {
    public enum Event: Sendable {
        /// The gateway answered a request itself with a refusal (429, 403, 451, …). The target's
        /// query values are redacted as in the access log.
        case block(kind: AccessLogDecision.Kind, outcome: AccessLogDecision.Outcome, status: Int, method: HTTPMethod, host: String, target: String)
        /// A rate-limit key began a ban: the key's kind (`ip`, `header:X-User-Id`; never its
        /// value), the ban's length and how many bans came before it.
        case ban(keyKind: String, durationNanos: Int64, level: Int)
        /// An upload was kept aside: the scanner's signature, the stored copy, its SHA-256.
        case quarantine(signature: String, location: String, sha256: String)
        /// A policy reload: the new snapshot's digest when it loaded, every problem when it did not.
        case policyReload(ok: Bool, digest: String?, problems: [String])

        public var name: String {
            switch self {
            case .block: return "block"
            case .ban: return "ban"
            case .quarantine: return "quarantine"
            case .policyReload: return "policy_reload"
            }
        }
    }

    public var event: Event
    public var requestId: String?
    public var client: IPAddress?
    /// The rule that decided (nil for a reload).
    public var rule: String?

    public init(event: Event, requestId: String? = nil, client: IPAddress? = nil, rule: String? = nil) {
        self.event = event
        self.requestId = requestId
        self.client = client
        self.rule = rule
    }

    /// Writes the line, newline included.
    public func write(timeNanos: Int64, timestamp: inout LogTimestamp, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"time\":")
        timestamp.write(nanoseconds: timeNanos, to: &buffer)
        buffer.writeStaticString(",\"event\":\"")
        buffer.writeString(event.name)
        buffer.writeInteger(UInt8(ascii: "\""))
        if let requestId {
            buffer.writeStaticString(",\"request_id\":")
            JSONLine.writeString(requestId, to: &buffer)
        }
        if let client {
            buffer.writeStaticString(",\"client\":\"")
            client.writeText(to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        if let rule {
            buffer.writeStaticString(",\"rule\":")
            JSONLine.writeString(rule, to: &buffer)
        }
        buffer.writeStaticString(",\"detail\":{")
        switch event {
        case .block(let kind, let outcome, let status, let method, let host, let target):
            buffer.writeStaticString("\"kind\":\"")
            buffer.writeString(kind.rawValue)
            buffer.writeStaticString("\",\"outcome\":\"")
            buffer.writeString(outcome.rawValue)
            buffer.writeStaticString("\",\"status\":")
            JSONLine.writeInteger(status, to: &buffer)
            buffer.writeStaticString(",\"method\":")
            JSONLine.writeString(method.rawValue, to: &buffer)
            buffer.writeStaticString(",\"host\":")
            JSONLine.writeString(host, to: &buffer)
            AccessLogFormat.writeTarget(target, to: &buffer)
        case .ban(let keyKind, let durationNanos, let level):
            buffer.writeStaticString("\"key_kind\":")
            JSONLine.writeString(keyKind, to: &buffer)
            buffer.writeStaticString(",\"duration_s\":")
            JSONLine.writeInteger((durationNanos + 999_999_999) / 1_000_000_000, to: &buffer)
            buffer.writeStaticString(",\"level\":")
            JSONLine.writeInteger(level, to: &buffer)
        case .quarantine(let signature, let location, let sha256):
            buffer.writeStaticString("\"signature\":")
            JSONLine.writeString(signature, to: &buffer)
            buffer.writeStaticString(",\"location\":")
            JSONLine.writeString(location, to: &buffer)
            buffer.writeStaticString(",\"sha256\":")
            JSONLine.writeString(sha256, to: &buffer)
        case .policyReload(let ok, let digest, let problems):
            buffer.writeStaticString(ok ? "\"outcome\":\"ok\"" : "\"outcome\":\"failed\"")
            if let digest {
                buffer.writeStaticString(",\"digest\":")
                JSONLine.writeString(digest, to: &buffer)
            }
            buffer.writeStaticString(",\"problems\":[")
            for (index, problem) in problems.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                JSONLine.writeString(problem, to: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        }
        buffer.writeStaticString("}}\n")
    }
}
