import NIOCore
import NIOHTTP1

/// Answers every request on a plain listener with `308 Permanent Redirect` to the same URL over
/// HTTPS (308 keeps the method and body, unlike 301).
final class HTTPSRedirectHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let httpsPort: Int
    private let maxURIBytes: Int
    private let requestTimeout: TimeAmount
    private var head: HTTPRequestHead?
    private var deadline: Scheduled<Void>?

    /// - Parameter requestTimeout: a whole request must arrive within this of the connection's
    ///   start or of the previous answer (`header_read`).
    init(httpsPort: Int, maxURIBytes: Int, requestTimeout: TimeAmount) {
        self.httpsPort = httpsPort
        self.maxURIBytes = maxURIBytes
        self.requestTimeout = requestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    /// An idle allowance alone let a client that dribbles a header line now and then hold the
    /// connection for as long as it liked (found by SlowClientTests): the request has a deadline.
    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: requestTimeout) { bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
            armDeadline(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let host = request.headers.first(name: "host") ?? ""
        guard RequestHygiene.isValidAuthority(host, allowEmpty: false), request.uri.hasPrefix("/"), request.uri.utf8.count <= maxURIBytes else {
            let problem = ProblemResponse.badRequest("a redirect to HTTPS needs a valid Host header and an origin-form target")
            let body = problem.body(requestId: "-", allocator: context.channel.allocator)
            context.write(wrapOutboundOut(.head(problem.head(version: request.version, requestId: "-", bodyLength: body.readableBytes, close: true))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        let name = RequestHygiene.hostWithoutPort(host)
        let authority = httpsPort == 443 ? name : "\(name):\(httpsPort)"
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: "https://\(authority)\(request.uri)")
        headers.add(name: "Content-Length", value: "0")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .permanentRedirect, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

@available(*, unavailable)
extension HTTPSRedirectHandler: Sendable {}
