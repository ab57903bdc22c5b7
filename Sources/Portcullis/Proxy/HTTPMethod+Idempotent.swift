import NIOHTTP1

extension HTTPMethod {
    /// RFC 9110 idempotent methods: safe to send again when no byte of an answer came back.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: return true
        default: return false
        }
    }
}
