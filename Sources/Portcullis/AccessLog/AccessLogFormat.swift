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
    public let sampling: AccessLogSampling

    /// Request headers always redacted when logged, whatever the config adds.
    public static let alwaysRedacted = ["Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key"]

    /// The fixed fields, in the order they are written; header fields must not take these names.
    public static let fixedFields = [
        "time", "request_id", "client", "method", "host", "route", "path", "query", "protocol", "tls", "status",
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

    /// Writes one line, newline included.
    public func write(_ record: AccessLogRecord, timeNanos: Int64, timestamp: inout LogTimestamp, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"time\":")
        timestamp.write(nanoseconds: timeNanos, to: &buffer)
        buffer.writeStaticString(",\"request_id\":")
        JSONLine.writeString(record.requestId, to: &buffer)
        buffer.writeStaticString(",\"client\":\"")
        record.client.writeText(to: &buffer)
        buffer.writeStaticString("\",\"method\":")
        JSONLine.writeString(record.method.rawValue, to: &buffer)
        buffer.writeStaticString(",\"host\":")
        JSONLine.writeString(record.host, to: &buffer)
        if let route = record.route {
            buffer.writeStaticString(",\"route\":")
            JSONLine.writeString(route, to: &buffer)
        }
        Self.writeTarget(record.target, to: &buffer)
        buffer.writeStaticString(",\"protocol\":\"")
        buffer.writeString(record.httpProtocol.rawValue)
        buffer.writeStaticString(record.isTLS ? "\",\"tls\":true,\"status\":" : "\",\"tls\":false,\"status\":")
        JSONLine.writeInteger(record.status, to: &buffer)
        buffer.writeStaticString(",\"bytes_in\":")
        JSONLine.writeInteger(record.bytesIn, to: &buffer)
        buffer.writeStaticString(",\"bytes_out\":")
        JSONLine.writeInteger(record.bytesOut, to: &buffer)
        buffer.writeStaticString(",\"duration_ms\":")
        JSONLine.writeMilliseconds(nanoseconds: record.durationNanos, to: &buffer)
        if let upstream = record.upstream {
            buffer.writeStaticString(",\"upstream\":")
            JSONLine.writeString(upstream, to: &buffer)
            buffer.writeStaticString(",\"upstream_ms\":")
            JSONLine.writeMilliseconds(nanoseconds: record.upstreamNanos, to: &buffer)
        }
        if !headers.isEmpty { writeHeaders(record.requestHeaders, to: &buffer) }
        buffer.writeStaticString(",\"decisions\":[")
        var first = true
        record.decisions.forEach { decision in
            buffer.writeStaticString(first ? "{\"kind\":\"" : ",{\"kind\":\"")
            first = false
            buffer.writeString(decision.kind.rawValue)
            buffer.writeStaticString("\",\"rule\":")
            JSONLine.writeString(decision.rule, to: &buffer)
            buffer.writeStaticString(",\"outcome\":\"")
            buffer.writeString(decision.outcome.rawValue)
            buffer.writeStaticString("\"}")
        }
        buffer.writeStaticString("]}\n")
    }

    /// `path` as received (escaped) and `query` with its values redacted; no `query` without `?`.
    static func writeTarget(_ target: String, to buffer: inout ByteBuffer) {
        var target = target
        target.withUTF8 { bytes in
            let question = bytes.firstIndex(of: UInt8(ascii: "?"))
            buffer.writeStaticString(",\"path\":\"")
            JSONLine.writeEscaped(bytes: UnsafeBufferPointer(rebasing: bytes[..<(question ?? bytes.count)]), to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
            if let question {
                buffer.writeStaticString(",\"query\":\"")
                QueryRedaction.write(query: UnsafeBufferPointer(rebasing: bytes[(question + 1)...]), to: &buffer)
                buffer.writeInteger(UInt8(ascii: "\""))
            }
        }
    }

    /// Each configured header present in the request: its values joined with `, `, or `REDACTED`.
    private func writeHeaders(_ requestHeaders: HTTPHeaders, to buffer: inout ByteBuffer) {
        for header in headers {
            var found = false
            for (name, value) in requestHeaders where ASCIICaseInsensitive.equals(name, lowercased: header.lowercasedName) {
                if !found {
                    buffer.writeBytes(header.key)
                    buffer.writeInteger(UInt8(ascii: "\""))
                    found = true
                    if header.redacted {
                        buffer.writeStaticString(QueryRedaction.placeholder)
                        break
                    }
                } else {
                    buffer.writeStaticString(", ")
                }
                JSONLine.writeEscaped(value, to: &buffer)
            }
            if found { buffer.writeInteger(UInt8(ascii: "\"")) }
        }
    }
}
