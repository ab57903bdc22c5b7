/// One decoded Redis reply (RESP2, as hiredis 0.14 reads it).
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    /// A bulk string; nil is the null bulk string (and the null array).
    case bulk([UInt8]?)
    case array([RedisReply])

    /// The text of a status, error or bulk reply.
    public var text: String? {
        switch self {
        case .status(let text), .error(let text): return text
        case .bulk(let bytes?): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The first word of an error reply (`NOSCRIPT`, `MOVED`, `ASK`, `ERR` …).
    var errorCode: Substring? {
        guard case .error(let text) = self else { return nil }
        return text.split(separator: " ", maxSplits: 1).first
    }
}
