import NIOHTTP1

/// Everything the request path needs from a request's header block, gathered in one pass so that
/// checks and rewriting never search the block again.
struct RequestHeadScan {
    var hostCount = 0
    var host: String?
    var contentLengthCount = 0
    var contentLength: String?
    var transferEncodingCount = 0
    var transferEncoding: String?
    var connection = ConnectionTokens()
    var upgrade: String?
    var hasExpect = false
    var requestId: String?
    /// The `traceparent` value; nil when absent, and when sent twice (then it is not believed).
    var traceParent: String?
    var traceParentCount = 0
    var hasForwardedProto = false
    var hasForwardedHost = false
    /// `X-Forwarded-For` values, collected only when the peer is trusted.
    var forwardedFor: [Substring] = []

    init(_ headers: HTTPHeaders, peerIsTrusted: Bool) {
        for (name, value) in headers {
            switch HeaderName.classify(name) {
            case .host:
                hostCount += 1
                host = value
            case .contentLength:
                contentLengthCount += 1
                contentLength = value
            case .transferEncoding:
                transferEncodingCount += 1
                transferEncoding = value
            case .connection:
                connection.add(value)
            case .upgrade:
                upgrade = value
            case .expect:
                hasExpect = true
            case .xRequestId:
                requestId = value
            case .traceParent:
                traceParentCount += 1
                traceParent = traceParentCount == 1 ? value : nil
            case .xForwardedProto:
                hasForwardedProto = true
            case .xForwardedHost:
                hasForwardedHost = true
            case .xForwardedFor:
                if peerIsTrusted { forwardedFor.append(Substring(value)) }
            default:
                continue
            }
        }
    }

    func isKeepAlive(version: HTTPVersion) -> Bool {
        version.minor >= 1 ? !connection.close : connection.keepAlive
    }

    /// `Connection: upgrade` with an `Upgrade` header: NIO's parser reads nothing after such a request.
    var wantsUpgrade: Bool { connection.upgrade && upgrade != nil }
}
