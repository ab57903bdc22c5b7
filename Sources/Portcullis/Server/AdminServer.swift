import Crypto
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener: `/healthz` (process up), `/readyz` (listeners bound, config loaded, at
/// least one healthy endpoint per upstream), `/metrics` (Prometheus text format, optionally
/// behind a bearer token), and the status page for people: `/` (a static page) and
/// `/status.json` (its figures, behind the same token). Kept apart from client traffic on its own port.
enum AdminServer {
    static func bind(group: EventLoopGroup, address: HostPort, gateway: Gateway) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(gateway: gateway))
                }
            }
            .bind(host: address.host, port: address.port).get()
    }
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let gateway: Gateway
    private var head: HTTPRequestHead?

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            write(context: context, head: head, status: .ok, contentType: "application/json", body: "{\"status\":\"ok\"}\n")
        case (.GET, "/readyz"), (.HEAD, "/readyz"):
            let report = gateway.readinessReport
            var body = context.channel.allocator.buffer(capacity: 128)
            body.writeString("{\"status\":\"\(report.ready ? "ready" : "not ready")\",\"reasons\":[")
            for (index, reason) in report.reasons.enumerated() {
                if index > 0 { body.writeString(",") }
                JSONString.write(reason, to: &body)
            }
            body.writeString("],\"degraded\":[")
            for (index, reason) in report.degraded.enumerated() {
                if index > 0 { body.writeString(",") }
                JSONString.write(reason, to: &body)
            }
            body.writeString("]}\n")
            write(context: context, head: head, status: report.ready ? .ok : .serviceUnavailable, contentType: "application/json", body: String(buffer: body))
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            guard authorize(head, path: "/metrics", context: context) else { return }
            respondLater(to: head, context: context, contentType: "text/plain; version=0.0.4; charset=utf-8") { await $0.metricsText() }
        case (.GET, "/status.json"), (.HEAD, "/status.json"):
            guard authorize(head, path: "/status.json", context: context) else { return }
            respondLater(to: head, context: context, contentType: "application/json", extraHeaders: [("X-Content-Type-Options", "nosniff")]) { await $0.statusJSON() }
        case (.GET, "/"), (.HEAD, "/"):
            // The page holds no figures (its script fetches /status.json), so it needs no token:
            // a token configured is given to the page in the URL fragment, which no request carries.
            write(context: context, head: head, status: .ok, contentType: "text/html; charset=utf-8", body: StatusPage.html, extraHeaders: StatusPage.headers)
        default:
            let problem = ProblemResponse(status: .notFound, slug: "admin-not-found", detail: "the admin listener serves /, /status.json, /healthz, /readyz and /metrics")
            let body = problem.body(requestId: "-", allocator: context.channel.allocator)
            write(context: context, head: head, status: .notFound, contentType: "application/problem+json", body: String(buffer: body))
        }
    }

    /// With `admin.metrics_token` set, answers 401 unless the request carries the token.
    private func authorize(_ head: HTTPRequestHead, path: String, context: ChannelHandlerContext) -> Bool {
        guard let token = gateway.runtime.config.admin?.metricsToken, !Self.presents(token, in: head.headers.first(name: "authorization")) else { return true }
        let problem = ProblemResponse(status: .unauthorized, slug: "metrics-unauthorized", detail: "\(path) needs Authorization: Bearer with the token of admin.metrics_token")
        let body = problem.body(requestId: "-", allocator: context.channel.allocator)
        write(context: context, head: head, status: .unauthorized, contentType: "application/problem+json", body: String(buffer: body), extraHeaders: [("WWW-Authenticate", "Bearer realm=\"portcullis-metrics\"")])
        return false
    }

    /// Whether `authorization` is `Bearer <token>`, compared in constant time (the SHA-256 digests,
    /// whose comparison in swift-crypto does not stop at the first difference), so the time of a
    /// refusal tells nothing about how much of a guess was right.
    static func presents(_ token: String, in authorization: String?) -> Bool {
        guard let authorization else { return false }
        return SHA256.hash(data: Array(authorization.utf8)) == SHA256.hash(data: Array("Bearer \(token)".utf8))
    }

    /// Gathering asks every event loop for its figures: never wait for it on this one.
    private func respondLater(to head: HTTPRequestHead, context: ChannelHandlerContext, contentType: String, extraHeaders: [(String, String)] = [], body: @escaping @Sendable (Gateway) async -> String) {
        let gateway = self.gateway
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { await body(gateway) }.whenSuccess { text in
            let (handler, context) = loopBound.value
            handler.write(context: context, head: head, status: .ok, contentType: contentType, body: text, extraHeaders: extraHeaders)
        }
    }

    private func write(context: ChannelHandlerContext, head request: HTTPRequestHead, status: HTTPResponseStatus, contentType: String, body: String, extraHeaders: [(String, String)] = []) {
        var headers = HTTPHeaders(extraHeaders)
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

@available(*, unavailable)
extension AdminHandler: Sendable {}
