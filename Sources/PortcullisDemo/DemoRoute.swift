import NIOHTTP1

/// What a request asks the demo application for, decided from its head alone
/// (so the handler knows, before any body arrives, whether the body must be hashed).
enum DemoRoute: Equatable {
    case index
    case api
    /// `POST /api/login`, `POST /api/wallet/withdraw`: the money and account endpoints that rate
    /// limits protect (they accept anything and say so).
    case apiAction(String)
    case upload
    case echo
    case adult
    case download(bytes: Int)
    case slow(milliseconds: Int)
    case status(HTTPResponseStatus)
    case health
    /// `/ws` reached the HTTP handler, i.e. NIO's WebSocket upgrader did not take it.
    case webSocketRefused(HTTPResponseStatus, reason: String)
    case methodNotAllowed(allowed: [HTTPMethod])
    case badRequest(reason: String)
    case notFound

    static let defaultDownloadBytes = 1 << 20
    static let maxDownloadBytes = 1 << 30
    /// Long enough to trip any sane gateway timeout, short enough that a forgotten curl ends.
    static let maxSlowMilliseconds = 300_000

    private static let readOnly: [HTTPMethod] = [.GET, .HEAD]
    private static let apiActions = ["/api/login": "logged in", "/api/wallet/withdraw": "withdrawal accepted"]

    init(head: HTTPRequestHead, target: DemoRequestTarget, isFirstRequestOnConnection: Bool) {
        let method = head.method
        let path = target.path
        let readOnly = DemoRoute.readOnly.contains(method)

        switch path {
        case "/":
            self = readOnly ? .index : .methodNotAllowed(allowed: DemoRoute.readOnly)
        case "/healthz":
            self = readOnly ? .health : .methodNotAllowed(allowed: DemoRoute.readOnly)
        case "/upload":
            self = (method == .POST || method == .PUT) ? .upload : .methodNotAllowed(allowed: [.POST, .PUT])
        case "/download":
            guard readOnly else {
                self = .methodNotAllowed(allowed: DemoRoute.readOnly)
                return
            }
            self = DemoRoute.parseBounded(
                target.queryValue("bytes"),
                name: "bytes",
                default: DemoRoute.defaultDownloadBytes,
                max: DemoRoute.maxDownloadBytes,
                make: { .download(bytes: $0) }
            )
        case "/slow":
            // Any method: timeouts matter for POSTs too.
            self = DemoRoute.parseBounded(
                target.queryValue("ms"),
                name: "ms",
                default: 1000,
                max: DemoRoute.maxSlowMilliseconds,
                make: { .slow(milliseconds: $0) }
            )
        case "/ws":
            guard method == .GET else {
                self = .methodNotAllowed(allowed: [.GET])
                return
            }
            if !head.headers.contains(name: "upgrade") {
                self = .webSocketRefused(.upgradeRequired, reason: "this endpoint only speaks WebSocket: send an Upgrade: websocket request")
            } else if !isFirstRequestOnConnection {
                // SwiftNIO's HTTPServerUpgradeHandler only considers the first request of a connection.
                self = .webSocketRefused(.badRequest, reason: "a WebSocket upgrade must be the first request on its connection")
            } else {
                self = .webSocketRefused(.badRequest, reason: "invalid WebSocket upgrade: need Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13")
            }
        default:
            if path.hasPrefix("/echo") {
                self = .echo
            } else if let action = DemoRoute.apiActions[path] {
                self = method == .POST ? .apiAction(action) : .methodNotAllowed(allowed: [.POST])
            } else if target.isAtOrBelow("/api") {
                self = readOnly ? .api : .methodNotAllowed(allowed: DemoRoute.readOnly)
            } else if target.isAtOrBelow("/adult") {
                self = readOnly ? .adult : .methodNotAllowed(allowed: DemoRoute.readOnly)
            } else if path.hasPrefix("/status/") {
                // Any method, so a gateway's retry policy can be tried on POSTs as well.
                self = DemoRoute.parseStatus(String(path.dropFirst("/status/".count)))
            } else {
                self = .notFound
            }
        }
    }

    /// Whether the request body must be fed to a SHA-256 as it streams in.
    var hashesBody: Bool {
        self == .upload
    }

    private static func parseBounded(
        _ raw: String?,
        name: String,
        default defaultValue: Int,
        max: Int,
        make: (Int) -> DemoRoute
    ) -> DemoRoute {
        guard let raw else { return make(defaultValue) }
        guard let value = Int(raw), value >= 0, value <= max else {
            return .badRequest(reason: "\(name) must be an integer between 0 and \(max)")
        }
        return make(value)
    }

    private static func parseStatus(_ raw: String) -> DemoRoute {
        // 1xx are not final responses and would confuse every client, so only 200-599.
        guard raw.count == 3, let code = Int(raw), (200...599).contains(code) else {
            return .badRequest(reason: "status must be a number between 200 and 599")
        }
        return .status(HTTPResponseStatus(statusCode: code))
    }
}
