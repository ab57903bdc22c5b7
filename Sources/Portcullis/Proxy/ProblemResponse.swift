import NIOCore
import NIOHTTP1

/// An answer the gateway makes itself: an RFC 9457 `application/problem+json` body carrying the
/// request id, so a client (or the on-call engineer reading its bug report) can find the log line.
public struct ProblemResponse: Error, Sendable {
    public var status: HTTPResponseStatus
    /// Short stable identifier documented in docs/problems.md, e.g. `request-smuggling`.
    public var slug: String
    public var detail: String
    public var extraHeaders: [(String, String)]

    public init(status: HTTPResponseStatus, slug: String, detail: String, extraHeaders: [(String, String)] = []) {
        self.status = status
        self.slug = slug
        self.detail = detail
        self.extraHeaders = extraHeaders
    }

    public static let typeBase = "https://portcullis.dev/problems/"

    /// Serializes the body; every string is JSON-escaped.
    public func body(requestId: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 192 + detail.utf8.count)
        buffer.writeString("{\"type\":")
        JSONString.write(ProblemResponse.typeBase + slug, to: &buffer)
        buffer.writeString(",\"title\":")
        JSONString.write(status.reasonPhrase, to: &buffer)
        buffer.writeString(",\"status\":\(status.code),\"detail\":")
        JSONString.write(detail, to: &buffer)
        buffer.writeString(",\"request_id\":")
        JSONString.write(requestId, to: &buffer)
        buffer.writeString("}\n")
        return buffer
    }

    public func head(version: HTTPVersion, requestId: String, bodyLength: Int, close: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(5 + extraHeaders.count)
        headers.add(name: "Content-Type", value: "application/problem+json")
        headers.add(name: "Content-Length", value: String(bodyLength))
        headers.add(name: "X-Request-Id", value: requestId)
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if close { headers.add(name: "Connection", value: "close") }
        return HTTPResponseHead(version: version.minor == 0 ? .http1_0 : .http1_1, status: status, headers: headers)
    }
}

extension ProblemResponse {
    static func badRequest(_ detail: String) -> ProblemResponse {
        ProblemResponse(status: .badRequest, slug: "bad-request", detail: detail)
    }
}

/// Minimal JSON string escaping for bodies and log lines the gateway writes itself.
public enum JSONString {
    public static func write(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
