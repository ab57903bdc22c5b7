import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener: `/healthz` (process up), `/readyz` (listeners bound, config loaded, at
/// least one healthy endpoint per upstream) and `/metrics` (Prometheus text format, optionally
/// behind a bearer token). Kept apart from client traffic on its own port.
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
            body.writeString("]}\n")
            write(context: context, head: head, status: report.ready ? .ok : .serviceUnavailable, contentType: "application/json", body: String(buffer: body))
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            if let token = gateway.runtime.config.admin?.metricsToken, head.headers.first(name: "authorization") != "Bearer \(token)" {
                let problem = ProblemResponse(status: .unauthorized, slug: "metrics-unauthorized", detail: "/metrics needs Authorization: Bearer with the token of admin.metrics_token")
                let body = problem.body(requestId: "-", allocator: context.channel.allocator)
                write(context: context, head: head, status: .unauthorized, contentType: "application/problem+json", body: String(buffer: body), extraHeaders: [("WWW-Authenticate", "Bearer realm=\"portcullis-metrics\"")])
                return
            }
            let gateway = self.gateway
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            // Gathering asks every event loop for its figures: never wait for it on this one.
            context.eventLoop.makeFutureWithTask { await gateway.metricsText() }.whenSuccess { text in
                let (handler, context) = loopBound.value
                handler.write(context: context, head: head, status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text)
            }
        default:
            let problem = ProblemResponse(status: .notFound, slug: "admin-not-found", detail: "the admin listener serves /healthz, /readyz and /metrics")
            let body = problem.body(requestId: "-", allocator: context.channel.allocator)
            write(context: context, head: head, status: .notFound, contentType: "application/problem+json", body: String(buffer: body))
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
