import Logging
import NIOCore
import NIOHTTP1

/// The request path of one client connection: checks each request head, resolves the client,
/// picks the route and an upstream connection from this loop's pool, and streams the request and
/// the response through with backpressure. Answers the gateway makes itself are problem+json.
///
/// It works on `HTTPServerRequestPart`s, so HTTP/2 streams (translated to the HTTP/1 shape) can
/// use the same handler.
final class ProxyConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Listener: Sendable {
        var name: String
        var scheme: String
        var serverNames: [String]
    }

    private enum State {
        /// Waiting for the next request head.
        case awaitingHead
        /// Head accepted; waiting for an upstream connection. Body parts are buffered, reads held.
        case awaitingUpstream
        /// Request and response streaming between the client and `upstream`.
        case forwarding
        /// The gateway answered itself; the connection closes once the answer is written.
        case answered
        /// After a 101: the pipeline is being switched to a byte tunnel.
        case upgraded
        case closed
    }

    private let runtime: GatewayRuntime
    private let resources: LoopResources
    private let listener: Listener
    /// The HTTP/1 decoder; nil on an HTTP/2 stream.
    private let decoder: ObservedRequestDecoder?
    private let isHTTP2: Bool
    private var context: ChannelHandlerContext!
    private var peer: IPAddress = .v4(0)
    private var peerIsTrusted = false
    private var state = State.awaitingHead
    private var pendingRead = false
    /// Mirrors the client channel's writability (kept by channelWritabilityChanged).
    private var clientWritable = true
    private var upstreamNeedsFlush = false
    private var clientNeedsFlush = false
    /// This connection's slot in its loop's `ConnectionSweeper`.
    var sweepSlot = -1
    /// The peer address as text, computed once per connection for X-Forwarded-For.
    private var peerText = ""
    // Timestamps from the loop's coarse clock; the sweeper compares them with the timeouts.
    private var waitingSince = NIODeadline.uptimeNanoseconds(0)
    private var headSeenAt: NIODeadline?
    private var requestSentAt = NIODeadline.uptimeNanoseconds(0)
    private var lastClientProgressAt = NIODeadline.uptimeNanoseconds(0)
    private var lastUpstreamProgressAt = NIODeadline.uptimeNanoseconds(0)
    private var clientProgressed = false
    private var upstreamProgressed = false
    /// Parts of pipelined requests that arrived while an earlier one was in progress; reads are
    /// held while any wait, so this stays small.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    /// A parse error in a pipelined request, answered once the requests before it are.
    private var deferredProblem: ProblemResponse?
    /// Since when the client has not been taking what we write (coarse clock).
    private var clientBlockedSince: NIODeadline?

    // The exchange in progress (one at a time: HTTPServerPipelineHandler queues pipelined requests).
    private var requestContext: RequestContext?
    private var upstreamHead: HTTPRequestHead?
    private var clientVersion = HTTPVersion.http1_1
    private var clientKeepAlive = true
    private var isHeadRequest = false
    private var requestComplete = false
    private var requestSent = false
    private var bufferedParts = CircularBuffer<HTTPClientRequestPart>(initialCapacity: 4)
    private var bodyBytes = 0
    private var bodyLimit = 0
    private var upstream: UpstreamConnection?
    private var attempts = 0
    private var mayRetry = false
    /// A chunked request waits for its first chunk to parse before anything goes upstream,
    /// so a malformed chunk size is refused with nothing forwarded.
    private var connectDeferred = false
    /// An HTTP/2 request without content-length: chunked upstream if a body turns up.
    private var lengthUnknown = false
    private var tunnelRequested = false
    private var tunnelAccepted = false
    private var responseHeadSent = false
    private var responseBytesSeen = false
    private var upstreamKeepAlive = true
    private var closeAfterResponse = false
    /// The response to the client is chunked (so it may carry trailers).
    private var clientChunked = false

    init(runtime: GatewayRuntime, resources: LoopResources, listener: Listener, decoder: ObservedRequestDecoder?) {
        self.isHTTP2 = decoder == nil
        self.runtime = runtime
        self.resources = resources
        self.listener = listener
        self.decoder = decoder
    }

    // MARK: channel lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let address = context.channel.remoteAddress?.ipAddress, let parsed = IPAddress(address) {
            peer = parsed
        }
        peerIsTrusted = runtime.addressResolver.isTrusted(peer)
        peerText = peer.description
        resources.sweeper.register(self)
        beginWaitingForHead()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        resources.sweeper.unregister(self)
        if let upstream {
            // The response was not read to its end: this connection must never carry another request.
            self.upstream = nil
            resources.pool.release(upstream, reusable: false)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        switch state {
        case .awaitingHead:
            respondAndClose(problem(for: parserError), requestId: resources.requestIds.make())
        case .awaitingUpstream, .forwarding:
            if requestComplete {
                // The bad bytes belong to a request pipelined behind this one: answer it in turn.
                deferredProblem = problem(for: parserError)
            } else if !responseHeadSent {
                // A bad chunk in the body: the upstream must not see the rest.
                abortUpstream()
                respondAndClose(.badRequest("the request body is not valid HTTP/1.1 framing: \(ParserErrorDescription.describe(parserError))"), requestId: requestContext?.requestId ?? resources.requestIds.make())
            } else {
                abortUpstream()
                context.close(promise: nil)
            }
        case .answered, .upgraded, .closed:
            return
        }
    }

    private func problem(for error: HTTPParserError) -> ProblemResponse {
        let limits = runtime.config.limits
        switch error {
        case .headerOverflow:
            return ProblemResponse(status: .requestHeaderFieldsTooLarge, slug: "headers-too-large", detail: "the request head exceeds \(limits.maxHeaderBytes) bytes or \(limits.maxHeaderCount) fields")
        case .unexpectedContentLength, .invalidContentLength, .unknown:
            return .smuggling("\(ParserErrorDescription.describe(error)); the request was not forwarded")
        default:
            return .badRequest("\(ParserErrorDescription.describe(error)); the request was not forwarded")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Graceful shutdown: an idle connection closes now, a busy one after its response.
            if state == .awaitingHead, pipelined.isEmpty { context.close(promise: nil) } else { closeAfterResponse = true }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: inbound: the client's request

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !pipelined.isEmpty || (requestComplete && state != .awaitingHead) {
            if state != .answered, state != .closed { pipelined.append(part) }
            return
        }
        dispatch(part)
    }

    private func dispatch(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            receivedHead(head)
        case .body(let buffer):
            receivedBody(buffer)
        case .end(let trailers):
            receivedEnd(trailers)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if upstreamNeedsFlush {
            upstreamNeedsFlush = false
            if let upstream { resources.flushAtEndOfIteration(upstream) }
        }
        context.fireChannelReadComplete()
    }

    private func receivedHead(_ head: HTTPRequestHead) {
        guard state == .awaitingHead else { return }
        resetExchange()
        lastClientProgressAt = resources.sweeper.now
        // An HTTP/2 stream is one exchange; answers to it are shaped like HTTP/1.1 and the codec
        // drops what HTTP/2 forbids (Connection, Transfer-Encoding).
        clientVersion = isHTTP2 ? .http1_1 : head.version
        let scan = RequestHeadScan(head.headers, peerIsTrusted: peerIsTrusted)
        clientKeepAlive = isHTTP2 || scan.isKeepAlive(version: head.version)
        isHeadRequest = head.method == .HEAD

        var requestId: String
        if peerIsTrusted, let supplied = scan.requestId, RequestIdGenerator.isAcceptable(supplied) {
            requestId = supplied
        } else {
            requestId = resources.requestIds.make()
        }

        var accepted: RequestHygiene.Accepted
        switch runtime.hygiene.check(head, scan: scan, serverNames: listener.serverNames, http2: isHTTP2) {
        case .success(let value):
            accepted = value
            // HTTP/1.0 may omit Host; the upstream speaks HTTP/1.1 and needs one.
            if accepted.authority.isEmpty { accepted.authority = listener.serverNames.first ?? "localhost" }
        case .failure(let problem):
            respondAndClose(problem, requestId: requestId)
            return
        }
        guard let route = runtime.routes.match(host: accepted.host, target: accepted.target) else {
            respondAndClose(ProblemResponse(status: .notFound, slug: "no-route", detail: "no route serves \(accepted.host)\(accepted.target.prefix(200))"), requestId: requestId)
            return
        }
        bodyLimit = route.maxBodyBytes
        if case .contentLength(let length) = accepted.framing, length > bodyLimit {
            respondAndClose(ProblemResponse(status: .payloadTooLarge, slug: "body-too-large", detail: "the request body is \(length) bytes; this route accepts at most \(bodyLimit)"), requestId: requestId)
            return
        }

        let clientAddress = runtime.addressResolver.resolve(peer: peer, forwardedFor: scan.forwardedFor)
        var requestContext = RequestContext(
            requestId: requestId, clientAddress: clientAddress, peerAddress: peer, peerIsTrusted: peerIsTrusted,
            route: route, host: accepted.host, target: accepted.target, startTime: resources.sweeper.now
        )

        let headers = ForwardingHeaders.build(from: head.headers, scan: scan, accepted: accepted, context: requestContext, peerText: peerText, scheme: listener.scheme)
        var forwarded = HTTPRequestHead(version: .http1_1, method: head.method, uri: accepted.target, headers: headers)
        tunnelRequested = accepted.wantsUpgrade && route.allowUpgrade && head.method == .GET && head.version.minor == 1
        if tunnelRequested, let protocols = scan.upgrade {
            forwarded.headers.add(name: "Connection", value: "upgrade")
            forwarded.headers.add(name: "Upgrade", value: protocols)
        }
        if accepted.wantsUpgrade {
            // NIO's parser reads nothing after an upgrade request: unless it becomes a tunnel,
            // the connection closes after the answer.
            closeAfterResponse = true
        }
        if !clientKeepAlive { closeAfterResponse = true }

        for phase in route.phases {
            switch phase.requestHead(&forwarded, context: &requestContext, eventLoop: context.eventLoop) {
            case .proceed: continue
            case .respond(let problem):
                self.requestContext = requestContext
                respondAndClose(problem, requestId: requestId)
                return
            case .respondWith, .pending:
                // Redirects and asynchronous phases arrive with the features that need them.
                continue
            }
        }

        self.requestContext = requestContext
        self.upstreamHead = forwarded
        mayRetry = accepted.framing == .none && head.method.isIdempotent
        state = .awaitingUpstream
        connectDeferred = accepted.framing == .chunked && !scan.hasExpect
        if isHTTP2, accepted.framing == .none {
            // HTTP/2 may send a body without a length: wait for the first DATA or the end of the stream.
            lengthUnknown = true
            connectDeferred = true
        }
        if !connectDeferred { connectUpstream(excluding: nil) }
    }

    private func receivedBody(_ buffer: ByteBuffer) {
        switch state {
        case .awaitingUpstream, .forwarding:
            clientProgressed = true
            bodyBytes += buffer.readableBytes
            if bodyBytes > bodyLimit {
                abortUpstream()
                if !responseHeadSent {
                    respondAndClose(ProblemResponse(status: .payloadTooLarge, slug: "body-too-large", detail: "the request body exceeds \(bodyLimit) bytes, the limit of this route"), requestId: requestContext?.requestId ?? "-")
                } else {
                    context.close(promise: nil)
                }
                return
            }
            if let upstream, state == .forwarding {
                upstream.write(.body(.byteBuffer(buffer)))
                upstreamNeedsFlush = true
            } else {
                bufferedParts.append(.body(.byteBuffer(buffer)))
                connectIfDeferred()
            }
        default:
            return
        }
    }

    private func receivedEnd(_ trailers: HTTPHeaders?) {
        switch state {
        case .awaitingUpstream:
            requestComplete = true
            bufferedParts.append(.end(trailers.map { HopByHopHeaders.strip($0).headers }))
            connectIfDeferred()
        case .forwarding:
            requestComplete = true
            if let upstream {
                upstream.write(.end(trailers.map { HopByHopHeaders.strip($0).headers }))
                resources.flushAtEndOfIteration(upstream)
                markRequestSent()
            }
        default:
            return
        }
    }

    // MARK: upstream selection

    private func connectIfDeferred() {
        guard connectDeferred else { return }
        connectDeferred = false
        if lengthUnknown {
            if case .body = bufferedParts.first {
                upstreamHead?.headers.add(name: "Transfer-Encoding", value: "chunked")
            } else if let method = upstreamHead?.method {
                mayRetry = method.isIdempotent
            }
        }
        connectUpstream(excluding: nil)
    }

    private func connectUpstream(excluding: Int?) {
        guard let route = requestContext?.route else { return }
        attempts += 1
        switch resources.pool.acquire(route.upstream, excluding: excluding, fresh: tunnelRequested) {
        case .ready(let connection):
            attach(connection)
        case .noHealthyEndpoint where excluding != nil:
            // The retry found no other endpoint: the failure itself is the answer.
            respondProblem(ProblemResponse(status: .badGateway, slug: "upstream-failed", detail: "upstream '\(route.upstream.name)' failed and no other endpoint is available"))
        case .noHealthyEndpoint:
            respondProblem(ProblemResponse(status: .serviceUnavailable, slug: "no-healthy-upstream", detail: "every endpoint of upstream '\(route.upstream.name)' is ejected after failures", extraHeaders: [("Retry-After", "1")]))
        case .connecting(let future, let endpoint):
            future.hop(to: context.eventLoop).whenComplete { [self] result in
                switch result {
                case .success(let connection):
                    guard state == .awaitingUpstream else {
                        resources.pool.release(connection, reusable: true)
                        return
                    }
                    attach(connection)
                case .failure(let error):
                    resources.pool.abandon(route.upstream, endpoint: endpoint)
                    route.upstream.endpoints[endpoint].recordFailure(now: NIODeadline.now().uptimeNanoseconds)
                    guard state == .awaitingUpstream else { return }
                    if mayRetry, attempts < 2, route.upstream.endpoints.count > 1 {
                        connectUpstream(excluding: endpoint)
                        return
                    }
                    var timedOut = false
                    if case ChannelError.connectTimeout = error { timedOut = true }
                    respondProblem(timedOut
                        ? ProblemResponse(status: .gatewayTimeout, slug: "upstream-connect-timeout", detail: "upstream '\(route.upstream.name)' did not accept a connection in time")
                        : ProblemResponse(status: .badGateway, slug: "upstream-unreachable", detail: "upstream '\(route.upstream.name)' refused the connection"))
                }
            }
        }
    }

    private func attach(_ connection: UpstreamConnection) {
        guard let head = upstreamHead else { return }
        upstream = connection
        connection.delegate = self
        connection.exchanges += 1
        state = .forwarding
        connection.write(.head(head))
        while let part = bufferedParts.popFirst() {
            connection.write(part)
        }
        resources.flushAtEndOfIteration(connection)
        if requestComplete { markRequestSent() }
        if pendingRead, connection.isWritable {
            pendingRead = false
            context.read()
        }
    }

    // MARK: outbound: backpressure toward the client

    func read(context: ChannelHandlerContext) {
        if !pipelined.isEmpty {
            pendingRead = true
            return
        }
        switch state {
        case .awaitingUpstream where !connectDeferred:
            pendingRead = true
        case .forwarding:
            if let upstream, !upstream.isWritable { pendingRead = true } else { context.read() }
        default:
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        clientWritable = context.channel.isWritable
        clientBlockedSince = clientWritable ? nil : resources.sweeper.now
        if clientWritable { upstream?.replayRead() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: answers the gateway makes itself

    /// Answers with problem+json; the connection closes afterwards when the request was not fully read.
    private func respondProblem(_ problem: ProblemResponse) {
        let requestId = requestContext?.requestId ?? resources.requestIds.make()
        if !requestComplete || closeAfterResponse {
            respondAndClose(problem, requestId: requestId)
            return
        }
        state = .answered
        finishExchange {
            self.writeProblem(problem, requestId: requestId, close: false)
        }
    }

    private func respondAndClose(_ problem: ProblemResponse, requestId: String) {
        state = .answered
        writeProblem(problem, requestId: requestId, close: true)
        context.close(promise: nil)
    }

    private func writeProblem(_ problem: ProblemResponse, requestId: String, close: Bool) {
        let body = problem.body(requestId: requestId, allocator: context.channel.allocator)
        var head = problem.head(version: clientVersion, requestId: requestId, bodyLength: body.readableBytes, close: close)
        if clientVersion.minor == 0, !close { head.headers.add(name: "Connection", value: "keep-alive") }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !isHeadRequest { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        responseHeadSent = true
    }

    // MARK: exchange bookkeeping

    private func resetExchange() {
        requestContext = nil
        upstreamHead = nil
        requestComplete = false
        requestSent = false
        bufferedParts.removeAll(keepingCapacity: true)
        bodyBytes = 0
        attempts = 0
        mayRetry = false
        connectDeferred = false
        lengthUnknown = false
        tunnelRequested = false
        tunnelAccepted = false
        responseHeadSent = false
        responseBytesSeen = false
        upstreamKeepAlive = true
        closeAfterResponse = false
        clientChunked = false
    }

    /// Writes the last part of a response; then the connection waits for the next request, or closes.
    /// The state changes before the write: writing the end lets HTTPServerPipelineHandler deliver a
    /// pipelined request at once, re-entering this handler.
    private func finishExchange(writingEnd writeEnd: () -> Void) {
        if closeAfterResponse || !requestComplete {
            state = .closed
            writeEnd()
            context.close(promise: nil)
            return
        }
        state = .awaitingHead
        beginWaitingForHead()
        writeEnd()
        drainPipelined()
        if state == .awaitingHead, pipelined.isEmpty, let problem = deferredProblem {
            deferredProblem = nil
            respondAndClose(problem, requestId: resources.requestIds.make())
            return
        }
        if pendingRead, pipelined.isEmpty, state == .awaitingHead {
            pendingRead = false
            context.read()
        }
    }

    /// Hands buffered pipelined parts to the request path, stopping at a head while a request is in progress.
    private func drainPipelined() {
        while let next = pipelined.first {
            if case .head = next, state != .awaitingHead { return }
            pipelined.removeFirst()
            dispatch(next)
        }
    }

    private func abortUpstream() {
        if let upstream {
            self.upstream = nil
            resources.pool.release(upstream, reusable: false)
        }
    }

    private func beginWaitingForHead() {
        responseHeadSent = false
        requestContext = nil
        headSeenAt = nil
        waitingSince = resources.sweeper.now
    }

    private func markRequestSent() {
        requestSent = true
        requestSentAt = resources.sweeper.now
        lastUpstreamProgressAt = requestSentAt
    }

    // MARK: timeouts, checked by the loop's sweeper

    func checkDeadlines(now: NIODeadline) {
        let timeouts = runtime.config.timeouts
        switch state {
        case .awaitingHead:
            if decoder?.hasPartialInput == true {
                // A head has started: it must be complete within header_read (slowloris guard).
                guard let seen = headSeenAt else {
                    headSeenAt = now
                    return
                }
                if now - seen >= .nanoseconds(timeouts.headerRead) {
                    let problem = ProblemResponse(status: .requestTimeout, slug: "header-timeout", detail: "the request head did not arrive within \(Units.formatDuration(timeouts.headerRead))")
                    respondAndClose(problem, requestId: resources.requestIds.make())
                }
            } else if now - waitingSince >= .nanoseconds(timeouts.clientIdle) {
                context.close(promise: nil)
            }
        case .awaitingUpstream, .forwarding:
            if clientProgressed {
                clientProgressed = false
                lastClientProgressAt = now
            }
            if upstreamProgressed || upstream?.handler.isHoldingRead == true {
                // Reads held for backpressure are the client's doing, not the upstream's silence.
                upstreamProgressed = false
                lastUpstreamProgressAt = now
            }
            if let blocked = clientBlockedSince, now - blocked >= .nanoseconds(timeouts.clientIdle) {
                // The client stopped reading the response.
                abortUpstream()
                context.close(promise: nil)
                return
            }
            if requestSent, !responseHeadSent, now - requestSentAt >= .nanoseconds(timeouts.upstreamResponse), let upstream {
                upstream.endpoint.recordFailure(now: now.uptimeNanoseconds)
                abortUpstream()
                respondProblem(ProblemResponse(status: .gatewayTimeout, slug: "upstream-timeout", detail: "upstream '\(upstream.group.name)' did not answer within \(Units.formatDuration(timeouts.upstreamResponse))"))
            } else if requestSent, now - lastUpstreamProgressAt >= .nanoseconds(timeouts.upstreamIdle), let upstream {
                upstreamWentSilent(upstream)
            } else if !requestComplete, now - lastClientProgressAt >= .nanoseconds(timeouts.clientIdle) {
                // The client stopped sending its body: nothing more will come.
                abortUpstream()
                context.close(promise: nil)
            }
        default:
            return
        }
    }
}

// MARK: - the upstream's response

extension ProxyConnectionHandler: UpstreamConnectionDelegate {
    var isDownstreamWritable: Bool { clientWritable }

    func upstreamReceived(_ part: HTTPClientResponsePart, from connection: UpstreamConnection) {
        guard connection === upstream else { return }
        responseBytesSeen = true
        upstreamProgressed = true
        switch part {
        case .head(var head):
            if head.status.code < 200, head.status != .switchingProtocols {
                // 100 Continue and other interim answers go straight through to HTTP/1.1 clients.
                if clientVersion.minor == 1 {
                    HopByHopHeaders.remove(from: &head.headers)
                    head.version = .http1_1
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    clientNeedsFlush = true
                }
                return
            }
            connection.endpoint.recordSuccess()
            if head.status == .switchingProtocols {
                guard tunnelRequested else {
                    upstreamFailed(connection, error: nil)
                    return
                }
                tunnelAccepted = true
            }
            writeResponseHead(head)
            clientNeedsFlush = true
        case .body(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            clientNeedsFlush = true
        case .end(let trailers):
            if tunnelAccepted {
                switchToTunnel(connection)
                return
            }
            upstream = nil
            let reusable = requestSent && upstreamKeepAlive && !tunnelRequested
            resources.pool.release(connection, reusable: reusable)
            // Trailers survive only where the client side is chunked too.
            let forwardedTrailers = clientChunked ? trailers.map { HopByHopHeaders.strip($0).headers } : nil
            finishExchange {
                self.context.writeAndFlush(self.wrapOutboundOut(.end(forwardedTrailers)), promise: nil)
            }
        }
    }

    private func writeResponseHead(_ upstreamHead: HTTPResponseHead) {
        var (headers, connection, upgrade, hasContentLength, wasChunked) = HopByHopHeaders.strip(upstreamHead.headers)
        upstreamKeepAlive = upstreamHead.version.minor >= 1 ? !connection.close : connection.keepAlive
        headers.add(name: "X-Request-Id", value: requestContext?.requestId ?? "")

        if tunnelAccepted {
            headers.add(name: "Connection", value: "upgrade")
            if let upgrade { headers.add(name: "Upgrade", value: upgrade) }
        } else {
            let status = upstreamHead.status.code
            let bodyless = isHeadRequest || status == 204 || status == 304 || status < 200
            if !bodyless, !hasContentLength {
                if clientVersion.minor == 1 {
                    headers.add(name: "Transfer-Encoding", value: "chunked")
                    clientChunked = true
                } else {
                    // An HTTP/1.0 client learns where the body ends by the connection closing.
                    closeAfterResponse = true
                }
            } else if isHeadRequest, wasChunked, clientVersion.minor == 1 {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            }
            if closeAfterResponse || !requestComplete {
                headers.add(name: "Connection", value: "close")
            } else if clientVersion.minor == 0 {
                headers.add(name: "Connection", value: "keep-alive")
            }
        }
        // Built once the headers are final: editing a head's headers afterwards copies them.
        var head = HTTPResponseHead(version: clientVersion, status: upstreamHead.status, headers: headers)
        if let requestContext, !requestContext.route.phases.isEmpty {
            for phase in requestContext.route.phases { phase.responseHead(&head, context: requestContext) }
        }
        responseHeadSent = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    func upstreamReadComplete(_ connection: UpstreamConnection) {
        if clientNeedsFlush {
            clientNeedsFlush = false
            context.flush()
        }
    }

    func upstreamWritabilityChanged(_ connection: UpstreamConnection) {
        if connection.isWritable, pendingRead, state == .forwarding {
            pendingRead = false
            context.read()
        }
    }

    func upstreamFailed(_ connection: UpstreamConnection, error: Error?) {
        guard connection === upstream else { return }
        upstream = nil
        resources.pool.release(connection, reusable: false)
        guard !responseHeadSent else {
            // Part of the response is with the client already: all we can do is cut it short.
            context.close(promise: nil)
            return
        }
        let staleKeepAlive = connection.exchanges > 1 && !responseBytesSeen
        if !staleKeepAlive { connection.endpoint.recordFailure(now: NIODeadline.now().uptimeNanoseconds) }
        // A reused connection the upstream had closed, or a bodiless idempotent request: safe to send again.
        if mayRetry, attempts < 2, !responseBytesSeen, requestComplete {
            state = .awaitingUpstream
            bufferedParts.removeAll(keepingCapacity: true)
            bufferedParts.append(.end(nil))
            requestSent = false
            connectUpstream(excluding: staleKeepAlive ? nil : connection.endpointIndex)
            return
        }
        respondProblem(ProblemResponse(status: .badGateway, slug: "upstream-failed", detail: "upstream '\(connection.group.name)' closed the connection before answering"))
    }

    /// Nothing came from the upstream for `upstream_idle` after the request was sent.
    private func upstreamWentSilent(_ connection: UpstreamConnection) {
        connection.endpoint.recordFailure(now: NIODeadline.now().uptimeNanoseconds)
        abortUpstream()
        if responseHeadSent {
            context.close(promise: nil)
        } else {
            respondProblem(ProblemResponse(status: .gatewayTimeout, slug: "upstream-timeout", detail: "upstream '\(connection.group.name)' went silent for \(Units.formatDuration(runtime.config.timeouts.upstreamIdle))"))
        }
    }

    // MARK: WebSocket and other upgrades

    /// After the 101 is written, both pipelines drop their HTTP handlers and copy bytes.
    private func switchToTunnel(_ connection: UpstreamConnection) {
        state = .upgraded
        resources.sweeper.unregister(self)
        upstream = nil
        connection.delegate = nil
        resources.pool.detach(connection)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)

        let (clientSide, upstreamSide) = TunnelHandler.makePair()
        let tunnelIdle = TimeAmount.nanoseconds(runtime.config.timeouts.tunnelIdle)
        do {
            let clientPipeline = context.pipeline.syncOperations
            let upstreamPipeline = connection.channel.pipeline.syncOperations
            _ = clientPipeline.removeHandler(name: GatewayChannelNames.encoder)
            try clientPipeline.addHandler(IdleStateHandler(allTimeout: tunnelIdle), position: .after(try clientPipeline.handler(type: ByteToMessageHandler<ObservedRequestDecoder>.self)))
            try clientPipeline.addHandler(clientSide)
            _ = upstreamPipeline.removeHandler(name: UpstreamConnection.encoderName)
            _ = upstreamPipeline.removeHandler(name: UpstreamConnection.handlerName)
            try upstreamPipeline.addHandler(IdleStateHandler(allTimeout: tunnelIdle))
            try upstreamPipeline.addHandler(upstreamSide)
            // Removing the decoders forwards the bytes they already read to the tunnel.
            _ = upstreamPipeline.removeHandler(name: UpstreamConnection.decoderName)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            _ = clientPipeline.removeHandler(name: GatewayChannelNames.decoder)
            connection.channel.read()
        } catch {
            runtime.logger.warning("could not switch to a tunnel", metadata: ["error": "\(error)"])
            connection.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}

extension HTTPMethod {
    /// RFC 9110 idempotent methods: safe to send again when no byte of an answer came back.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: return true
        default: return false
        }
    }
}

@available(*, unavailable)
extension ProxyConnectionHandler: Sendable {}
