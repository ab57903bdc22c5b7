import NIOHTTP1

/// What the request path knows about one finished request, filled as it goes and handed to
/// `AccessLogger.log(_:)` once. Built for a cheap fill: strings the request path holds anyway
/// (retained, not copied), the address as a number, durations as Int64 nanoseconds, decisions
/// inline; the JSON is produced from it straight into the loop's log buffer.
public struct AccessLogRecord {
    public enum HTTPProtocol: String, Sendable {
        case http1_0 = "HTTP/1.0"
        case http1_1 = "HTTP/1.1"
        case http2 = "HTTP/2"
    }

    public var requestId: String
    /// The W3C trace id the request was forwarded with (32 hex digits); empty: left out.
    public var traceID = ""
    /// The client as resolved through trusted proxies.
    public var client: IPAddress
    public var method: HTTPMethod
    public var host: String
    /// The matched route's name; nil when no route matched (the line omits `route`).
    public var route: String?
    /// The request target as received, origin-form (`/path?query`): the logger splits it and
    /// redacts the query's values when it writes the line, so the path pays nothing up front.
    public var target: String
    public var httpProtocol: HTTPProtocol
    public var isTLS: Bool
    public var status: Int
    /// Body bytes received from the client and sent to it (heads excluded).
    public var bytesIn: Int64 = 0
    public var bytesOut: Int64 = 0
    /// From the request head's arrival to the last byte written to the client.
    public var durationNanos: Int64 = 0
    /// The upstream group the request was forwarded to; nil when the gateway answered itself.
    public var upstream: String?
    /// Connect (or pool checkout) to the end of the upstream's response.
    public var upstreamNanos: Int64 = 0
    /// The request's headers, for the operator's `log_headers` (copy-on-write: assigning them
    /// costs a retain). Empty when not assigned.
    public var requestHeaders = HTTPHeaders()
    public var decisions = AccessLogDecisions()

    public init(
        requestId: String, client: IPAddress, method: HTTPMethod, host: String, route: String?, target: String,
        httpProtocol: HTTPProtocol, isTLS: Bool, status: Int
    ) {
        self.requestId = requestId
        self.client = client
        self.method = method
        self.host = host
        self.route = route
        self.target = target
        self.httpProtocol = httpProtocol
        self.isTLS = isTLS
        self.status = status
    }

    /// A line that sampling may leave out: an answered request (status < 400) with no block,
    /// shadow hit or failure among its decisions.
    public var isSampleable: Bool {
        status < 400 && !decisions.hasNotable
    }
}
