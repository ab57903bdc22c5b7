import NIOCore

/// What the gateway knows about one request, handed to every phase.
public struct RequestContext {
    public var requestId: String
    /// The real client, resolved through trusted proxies.
    public var clientAddress: IPAddress
    public var peerAddress: IPAddress
    public var peerIsTrusted: Bool
    public var route: Route
    public var host: String
    public var target: String
    /// The client connection is TLS (HSTS applies; the request's own origin is https).
    public var isTLS: Bool
    public var startTime: NIODeadline
    /// The W3C trace id the request was forwarded with (the client's, or a new one): 32 hex digits.
    public var traceID: String = ""
    /// The policy snapshot read once at the request's start and kept to its end (a reload
    /// publishes a new one for later requests).
    public var policies: PolicySet
    /// Set by the CORS phase when a rule covers the request; read when the response goes out.
    public var corsGrant: CORSGrant?
    /// What the phases decided, for the access log (a phase appends its own).
    public var decisions = AccessLogDecisions()
    /// Set by the rate-limit phase for rules that send `RateLimit` on allowed responses.
    public var rateLimit = RateLimitState()
    /// Set by the upload phase once it checked the body (its decision and quarantined files).
    public var uploadScan: UploadScanReport?
}
