import NIOCore
import NIOHTTP1

/// What one request/response exchange on a client connection knows; reset for each request.
/// Kept apart from the connection's own state so that resetting is one assignment (and no allocation).
struct RequestExchange {
    var requestContext: RequestContext?
    var upstreamHead: HTTPRequestHead?
    /// How the request's body is framed, and whether it asked for 100-continue.
    var framing = RequestHygiene.Framing.none
    var hasExpect = false
    var clientVersion = HTTPVersion.http1_1
    var clientKeepAlive = true
    var isHeadRequest = false
    var requestComplete = false
    var requestSent = false
    var bodyBytes = 0
    var bodyLimit = 0
    var attempts = 0
    var mayRetry = false
    /// A chunked request waits for its first chunk to parse before anything goes upstream,
    /// so a malformed chunk size is refused with nothing forwarded.
    var connectDeferred = false
    /// An HTTP/2 request without content-length: chunked upstream if a body turns up.
    var lengthUnknown = false
    var tunnelRequested = false
    var tunnelAccepted = false
    var responseHeadSent = false
    var responseBytesSeen = false
    var upstreamKeepAlive = true
    var closeAfterResponse = false
    /// The response to the client is chunked (so it may carry trailers).
    var clientChunked = false
    /// The security-header actions chosen for this request's route, applied to its response.
    var headerActions: HeaderActions?
    /// A phase's answer to a bodiless request, sent when the request's end is read.
    var pendingAnswer: GatewayAnswer?

    // For metrics, in monotonic nanoseconds (0: not yet).
    var method: HTTPMethod?
    var startNanos: Int64 = 0
    /// A new upstream connection's connect time (nil when a pooled one was reused).
    var connectNanos: Int64?
    var upstreamSentNanos: Int64 = 0
    var upstreamHeadNanos: Int64 = 0
    var bytesOut = 0
    var responseStatus = 0
    /// The exchange is in the metrics already.
    var recorded = false
    /// For the access log: the header rule applied (nil: the global block) and a shadow rule matched.
    var headerRule: String?
    var headerShadowRule: String?
    /// A phase refused the request with this answer (for the audit log).
    var blockedBy: ProblemResponse?
    /// The phase that asked for the whole body, the body once read, and the decision to record
    /// when it goes over its limit.
    var bodyPhase = -1
    var collectedBody: RequestBody?
    var bodyOverLimit: AccessLogDecision?
}
