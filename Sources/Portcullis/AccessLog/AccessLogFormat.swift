import NIOCore
import NIOHTTP1

/// How an `AccessLogRecord` becomes one JSON line: the operator's header choices compiled once
/// (lowercased names, JSON keys pre-rendered), then each record written field by field into the
/// loop's buffer. Immutable; shared by every loop.
public struct AccessLogFormat: Sendable {
    struct LoggedHeader: Sendable {
        /// Compared with the request's header names, ASCII case-insensitively.
        let lowercasedName: String
        /// `,"user_agent":` ready to copy.
        let key: [UInt8]
        let redacted: Bool
    }

    let headers: [LoggedHeader]
    /// Whether lines carry request headers (`log_headers`): only then does a record need them.
    public var logsHeaders: Bool { !headers.isEmpty }
    public let sampling: AccessLogSampling

    /// Request headers always redacted when logged, whatever the config adds.
    public static let alwaysRedacted = ["Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key"]

    /// The fixed fields, in the order they are written; header fields must not take these names.
    public static let fixedFields = [
        "time", "request_id", "trace_id", "client", "method", "host", "route", "path", "query", "protocol", "tls", "status",
        "bytes_in", "bytes_out", "duration_ms", "upstream", "upstream_ms", "decisions",
    ]

    /// `User-Agent` → `user_agent`: the JSON key a logged header gets.
    public static func fieldName(forHeader name: String) -> String {
        String(name.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    public init(config: AccessLogConfig) {
        self.init(sampleAllowed: config.sampleAllowed, logHeaders: config.logHeaders, redactHeaders: config.redactHeaders)
    }

    public init(sampleAllowed: Double = 1, logHeaders: [String] = [], redactHeaders: [String] = []) {
        let redacted = Set((Self.alwaysRedacted + redactHeaders).map { $0.lowercased() })
        var seen: Set<String> = []
        headers = logHeaders.compactMap { name in
            let field = Self.fieldName(forHeader: name)
            // The loader reports collisions; a format built in code just skips them.
            guard !Self.fixedFields.contains(field), seen.insert(field).inserted else { return nil }
            var key = ByteBuffer()
            key.writeStaticString(",")
            JSONLine.writeString(field, to: &key)
            key.writeStaticString(":")
            return LoggedHeader(lowercasedName: name.lowercased(), key: Array(key.readableBytesView), redacted: redacted.contains(name.lowercased()))
        }
        sampling = AccessLogSampling(rate: sampleAllowed)
    }

    /// False for a sampleable line that sampling leaves out.
    public func shouldLog(_ record: AccessLogRecord) -> Bool {
        sampling.keepAll || !record.isSampleable || sampling.keeps(requestId: record.requestId)
    }

    /// Writes one line, newline included: the line's worst-case length is reserved once and the
    /// fields are copied in with no further checks.
    public func write(_ record: AccessLogRecord, timeNanos: Int64, timestamp: inout LogTimestamp, to buffer: inout ByteBuffer) {
        let bound = 448
            + JSONRawWriter.escapedBound(
                record.requestId.utf8.count + record.host.utf8.count + (record.route?.utf8.count ?? 0)
                    + (record.upstream?.utf8.count ?? 0) + record.method.rawValue.utf8.count)
            + Self.targetBound(record.target)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { raw in
            var writer = JSONRawWriter(raw)
            write(record, timeNanos: timeNanos, timestamp: &timestamp, to: &writer)
            return writer.position
        }
        // Header values may be long (they are bounded only by the header limit): room for each is
        // reserved as it is found, rather than measuring them all first.
        if !headers.isEmpty { writeHeaders(record.requestHeaders, to: &buffer) }
        var decisionBound = 16
        record.decisions.forEach { decisionBound += 64 + JSONRawWriter.escapedBound($0.rule.utf8.count) }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: decisionBound) { raw in
            var writer = JSONRawWriter(raw)
            writeDecisions(record.decisions, to: &writer)
            return writer.position
        }
    }

    private func write(_ record: AccessLogRecord, timeNanos: Int64, timestamp: inout LogTimestamp, to writer: inout JSONRawWriter) {
        writer.raw("{\"time\":")
        timestamp.write(nanoseconds: timeNanos, to: &writer)
        writer.raw(",\"request_id\":")
        writer.quoted(record.requestId)
        if !record.traceID.isEmpty {
            writer.raw(",\"trace_id\":")
            writer.quoted(record.traceID)
        }
        writer.raw(",\"client\":\"")
        record.client.writeText(to: &writer)
        writer.raw("\",\"method\":")
        writer.quoted(record.method.rawValue)
        writer.raw(",\"host\":")
        writer.quoted(record.host)
        if let route = record.route {
            writer.raw(",\"route\":")
            writer.quoted(route)
        }
        Self.writeTarget(record.target, to: &writer)
        writer.raw(",\"protocol\":\"")
        writer.raw(record.httpProtocol.rawValue)
        writer.raw(record.isTLS ? "\",\"tls\":true,\"status\":" : "\",\"tls\":false,\"status\":")
        writer.integer(record.status)
        writer.raw(",\"bytes_in\":")
        writer.integer(record.bytesIn)
        writer.raw(",\"bytes_out\":")
        writer.integer(record.bytesOut)
        writer.raw(",\"duration_ms\":")
        writer.milliseconds(nanoseconds: record.durationNanos)
        if let upstream = record.upstream {
            writer.raw(",\"upstream\":")
            writer.quoted(upstream)
            writer.raw(",\"upstream_ms\":")
            writer.milliseconds(nanoseconds: record.upstreamNanos)
        }
    }

    private func writeDecisions(_ decisions: AccessLogDecisions, to writer: inout JSONRawWriter) {
        writer.raw(",\"decisions\":[")
        var first = true
        decisions.forEach { decision in
            writer.raw(first ? "{\"kind\":\"" : ",{\"kind\":\"")
            first = false
            writer.raw(decision.kind.rawValue)
            writer.raw("\",\"rule\":")
            writer.quoted(decision.rule)
            writer.raw(",\"outcome\":\"")
            writer.raw(decision.outcome.rawValue)
            writer.raw("\"}")
        }
        writer.raw("]}\n")
    }

    /// Room `writeTarget` may take: the path escaped, the query redacted.
    static func targetBound(_ target: String) -> Int {
        let count = target.utf8.count
        return 32 + JSONRawWriter.escapedBound(count) + QueryRedaction.bound(count)
    }

    /// `path` as received (escaped) and `query` with its values redacted; no `query` without `?`.
    static func writeTarget(_ target: String, to writer: inout JSONRawWriter) {
        var target = target
        target.withUTF8 { bytes in
            let question = bytes.firstIndex(of: UInt8(ascii: "?"))
            writer.raw(",\"path\":\"")
            writer.escaped(UnsafeBufferPointer(rebasing: bytes[..<(question ?? bytes.count)]))
            writer.byte(UInt8(ascii: "\""))
            if let question {
                writer.raw(",\"query\":\"")
                QueryRedaction.write(query: UnsafeBufferPointer(rebasing: bytes[(question + 1)...]), to: &writer)
                writer.byte(UInt8(ascii: "\""))
            }
        }
    }

    static func writeTarget(_ target: String, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: targetBound(target)) { raw in
            var writer = JSONRawWriter(raw)
            writeTarget(target, to: &writer)
            return writer.position
        }
    }

    /// Each configured header present in the request: its values joined with `, `, or `REDACTED`.
    private func writeHeaders(_ requestHeaders: HTTPHeaders, to buffer: inout ByteBuffer) {
        for header in headers {
            var found = false
            for (name, value) in requestHeaders where ASCIICaseInsensitive.equals(name, lowercased: header.lowercasedName) {
                if !found {
                    found = true
                    buffer.writeBytes(header.key)
                    if header.redacted {
                        buffer.writeStaticString("\"REDACTED")
                        break
                    }
                    buffer.writeInteger(UInt8(ascii: "\""))
                } else {
                    buffer.writeStaticString(", ")
                }
                JSONLine.writeEscaped(value, to: &buffer)
            }
            if found { buffer.writeInteger(UInt8(ascii: "\"")) }
        }
    }
}
