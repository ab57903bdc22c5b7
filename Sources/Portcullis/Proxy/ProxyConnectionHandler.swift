import Logging
import NIOCore
import NIOHTTP1

/// The request path of one client connection: checks each request head, resolves the client,
/// picks the route and an upstream connection from this loop's pool, and streams the request and
/// the response through with backpressure. Answers the gateway makes itself are problem+json.
///
/// It works on `HTTPServerRequestPart`s, so HTTP/2 streams (translated to the HTTP/1 shape) can
/// use the same handler.
///
/// The upstream's side lives in `ProxyConnectionHandler+Upstream.swift`, the policy's phases in
/// `+Phases`, the gateway's own answers in `+Answers`, metrics and logs in `+Records`; the state
/// below is therefore module-internal rather than private. The handler never leaves its event loop.
final class ProxyConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Listener: Sendable {
        var name: String
        /// Position in the config's listener list (metrics index their series by it).
        var index: Int
        var scheme: String
        var serverNames: [String]
    }

    enum State {
        /// Waiting for the next request head.
        case awaitingHead
        /// Head accepted; a request phase is waiting for I/O (a token check, Redis). Body parts
        /// are buffered, reads held.
        case awaitingPhase
        /// A phase needs the whole body before anything is forwarded: it is being read (into
        /// memory, then a spool file; reads held while a spool write is under way).
        case collectingBody
        /// Head accepted; waiting for an upstream connection. Body parts are buffered, reads held.
        case awaitingUpstream
        /// Request and response streaming between the client and `upstream`.
        case forwarding
        /// A phase answered a request without a body; the answer goes out once the request's end
        /// is read, so the connection can carry the next request.
        case answerPending
        /// The gateway answered itself; the connection closes once the answer is written.
        case answered
        /// After a 101: the pipeline is being switched to a byte tunnel.
        case upgraded
        case closed
    }

    let runtime: GatewayRuntime
    let resources: LoopResources
    let listener: Listener
    /// The HTTP/1 decoder; nil on an HTTP/2 stream.
    let decoder: ObservedRequestDecoder?
    let isHTTP2: Bool
    /// The client connection is TLS (HSTS is sent; the request's own origin is https).
    let isTLS: Bool
    var context: ChannelHandlerContext!
    var peer: IPAddress = .v4(0)
    var peerIsTrusted = false
    var state = State.awaitingHead
    var pendingRead = false
    /// Mirrors the client channel's writability (kept by channelWritabilityChanged).
    var clientWritable = true
    var upstreamNeedsFlush = false
    var clientNeedsFlush = false
    /// This connection's slot in its loop's `ConnectionSweeper`.
    var sweepSlot = -1
    /// The peer address as text, computed once per connection for X-Forwarded-For.
    var peerText = ""
    var deadlines = ConnectionDeadlines()
    /// The gateway is shutting down: every response from now on closes the connection.
    var quiescing = false
    /// Parts of pipelined requests that arrived while an earlier one was in progress; reads are
    /// held while any wait, so this stays small.
    var pipelined = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    /// A parse error in a pipelined request, answered once the requests before it are.
    var deferredProblem: ProblemResponse?
    /// `drainPipelined` is running: a request it dispatches that is answered at once must not
    /// start another drain (one stack frame per pipelined request could overflow the stack).
    var draining = false

    /// The exchange in progress (one at a time: pipelined requests wait in `pipelined`).
    var exchange = RequestExchange()
    /// Request parts read while no upstream connection is attached yet (kept across exchanges
    /// for its storage).
    var bufferedParts = CircularBuffer<HTTPClientRequestPart>(initialCapacity: 4)
    var upstream: UpstreamConnection?
    /// The body being read for a phase that must see it whole, and the spooled body's
    /// descriptor while it is forwarded.
    var bodyCollector: RequestBodyCollector?
    var forwardedFile: NIOFileHandle?

    init(runtime: GatewayRuntime, resources: LoopResources, listener: Listener, decoder: ObservedRequestDecoder?) {
        self.isHTTP2 = decoder == nil
        self.isTLS = listener.scheme == "https"
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

    /// The pipeline's context holds this handler and this handler holds the context: letting go
    /// of it here is what frees both once the connection (or HTTP/2 stream) is gone. Holding on
    /// leaked about 3.7 KiB per connection (`TransportFaultTests`' memory rounds found it).
    /// Late callbacks check `state` (`.closed` by now) before touching the context.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if exchange.startNanos > 0, !exchange.recorded {
            // Cut short (the client left, the upstream failed mid-response): still counted and
            // logged, as 499 when nothing was answered (nginx's "client closed request").
            recordExchange(status: exchange.responseHeadSent ? exchange.responseStatus : 499, forwarded: exchange.upstreamSentNanos > 0)
        }
        state = .closed
        resources.sweeper.unregister(self)
        releaseCollectedBody()
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
            respondAndClose(GatewayProblems.parseError(parserError, limits: runtime.config.limits), requestId: resources.requestIds.make())
        case .awaitingPhase, .collectingBody, .awaitingUpstream, .forwarding:
            if exchange.requestComplete {
                // The bad bytes belong to a request pipelined behind this one: answer it in turn.
                deferredProblem = GatewayProblems.parseError(parserError, limits: runtime.config.limits)
            } else if !exchange.responseHeadSent {
                // A bad chunk in the body: the upstream must not see the rest.
                abortUpstream()
                respondAndClose(.badRequest("the request body is not valid HTTP/1.1 framing: \(ParserErrorDescription.describe(parserError))"), requestId: exchange.requestContext?.requestId ?? resources.requestIds.make())
            } else {
                abortUpstream()
                context.close(promise: nil)
            }
        case .answerPending, .answered, .upgraded, .closed:
            return
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Graceful shutdown: an idle connection closes now, a busy one after its response.
            quiescing = true
            if state == .awaitingHead, pipelined.isEmpty { context.close(promise: nil) } else { exchange.closeAfterResponse = true }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: inbound: the client's request

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !pipelined.isEmpty || (exchange.requestComplete && state != .awaitingHead) {
            if state != .answered, state != .closed { pipelined.append(part) }
            return
        }
        dispatch(part)
    }

    func dispatch(_ part: HTTPServerRequestPart) {
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

    func receivedHead(_ head: HTTPRequestHead) {
        guard state == .awaitingHead else { return }
        exchange = RequestExchange()
        exchange.startNanos = Self.now()
        exchange.method = head.method
        bufferedParts.removeAll(keepingCapacity: true)
        if quiescing { exchange.closeAfterResponse = true }
        deadlines.headReceived(now: resources.sweeper.now)
        // An HTTP/2 stream is one exchange; answers to it are shaped like HTTP/1.1 and the codec
        // drops what HTTP/2 forbids (Connection, Transfer-Encoding).
        exchange.clientVersion = isHTTP2 ? .http1_1 : head.version
        let scan = RequestHeadScan(head.headers, peerIsTrusted: peerIsTrusted)
        exchange.clientKeepAlive = isHTTP2 || scan.isKeepAlive(version: head.version)
        exchange.isHeadRequest = head.method == .HEAD

        var requestId: String
        if peerIsTrusted, let supplied = scan.requestId, RequestIdGenerator.isAcceptable(supplied) {
            requestId = supplied
        } else {
            requestId = resources.requestIds.make()
        }
        if isHTTP2, let problem = GatewayProblems.http2HeadOverLimits(head, limits: runtime.config.limits) {
            // HTTP/1 heads are held to these limits by the parser; HTTP/2 ones are checked here.
            respondAndClose(problem, requestId: requestId)
            return
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
        let policies = resources.policies
        let headerSelection = policies.headers.select(host: accepted.host, target: accepted.target, method: head.method)
        exchange.headerActions = headerSelection.actions
        exchange.headerRule = headerSelection.rule?.name
        exchange.headerShadowRule = headerSelection.shadowRule?.name
        if let shadow = headerSelection.shadowRule {
            runtime.logger.debug("shadow header rule matched", metadata: ["rule": "\(shadow.name)", "applied": "\(headerSelection.ruleName)", "request_id": "\(requestId)"])
        }
        exchange.bodyLimit = route.maxBodyBytes
        if case .contentLength(let length) = accepted.framing, length > exchange.bodyLimit {
            respondAndClose(ProblemResponse(status: .payloadTooLarge, slug: "body-too-large", detail: "the request body is \(length) bytes; this route accepts at most \(exchange.bodyLimit)"), requestId: requestId)
            return
        }

        let clientAddress = runtime.addressResolver.resolve(peer: peer, forwardedFor: scan.forwardedFor)
        var requestContext = RequestContext(
            requestId: requestId, clientAddress: clientAddress, peerAddress: peer, peerIsTrusted: peerIsTrusted,
            route: route, host: accepted.host, target: accepted.target, isTLS: isTLS, startTime: resources.sweeper.now,
            policies: policies
        )

        var random = resources.requestIds  // a class: the loop's one generator moves on
        let trace = TraceParent(clientValue: scan.traceParent, random: &random)
        requestContext.traceID = trace.traceID
        let headers = ForwardingHeaders.build(from: head.headers, scan: scan, accepted: accepted, context: requestContext, peerText: peerText, scheme: listener.scheme, traceParent: trace)
        var forwarded = HTTPRequestHead(version: .http1_1, method: head.method, uri: accepted.target, headers: headers)
        exchange.tunnelRequested = accepted.wantsUpgrade && route.allowUpgrade && head.method == .GET && head.version.minor == 1
        if exchange.tunnelRequested, let protocols = scan.upgrade {
            forwarded.headers.add(name: "Connection", value: "upgrade")
            forwarded.headers.add(name: "Upgrade", value: protocols)
        }
        if accepted.wantsUpgrade {
            // NIO's parser reads nothing after an upgrade request: unless it becomes a tunnel,
            // the connection closes after the answer.
            exchange.closeAfterResponse = true
        }
        if !exchange.clientKeepAlive { exchange.closeAfterResponse = true }

        exchange.requestContext = requestContext
        exchange.upstreamHead = forwarded
        exchange.framing = accepted.framing
        exchange.hasExpect = scan.hasExpect
        runPhases(from: 0)
    }

    func receivedBody(_ buffer: ByteBuffer) {
        switch state {
        case .answerPending:
            // An HTTP/2 request without a length turned out to have a body.
            if let answer = exchange.pendingAnswer { respond(answer, requestId: exchange.requestContext?.requestId ?? "-", close: true) }
        case .awaitingPhase, .collectingBody, .awaitingUpstream, .forwarding:
            deadlines.clientProgressed = true
            exchange.bodyBytes += buffer.readableBytes
            if state == .collectingBody {
                if exchange.bodyBytes > exchange.bodyLimit { bodyOverLimit() } else { collected(buffer) }
                return
            }
            if exchange.bodyBytes > exchange.bodyLimit {
                abortUpstream()
                if !exchange.responseHeadSent {
                    respondAndClose(ProblemResponse(status: .payloadTooLarge, slug: "body-too-large", detail: "the request body exceeds \(exchange.bodyLimit) bytes, the limit of this route"), requestId: exchange.requestContext?.requestId ?? "-")
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
                if state == .awaitingUpstream { connectIfDeferred() }
            }
        default:
            return
        }
    }

    func receivedEnd(_ trailers: HTTPHeaders?) {
        switch state {
        case .answerPending:
            exchange.requestComplete = true
            if let answer = exchange.pendingAnswer {
                respond(answer, requestId: exchange.requestContext?.requestId ?? "-", close: exchange.closeAfterResponse)
            }
        case .collectingBody:
            exchange.requestComplete = true
            finishCollecting()
        case .awaitingPhase, .awaitingUpstream:
            exchange.requestComplete = true
            bufferedParts.append(.end(trailers.map { HopByHopHeaders.strip($0).headers }))
            if state == .awaitingUpstream { connectIfDeferred() }
        case .forwarding:
            exchange.requestComplete = true
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

    func connectIfDeferred() {
        guard exchange.connectDeferred else { return }
        exchange.connectDeferred = false
        if exchange.lengthUnknown {
            if case .body = bufferedParts.first {
                exchange.upstreamHead?.headers.add(name: "Transfer-Encoding", value: "chunked")
            } else if let method = exchange.upstreamHead?.method {
                exchange.mayRetry = method.isIdempotent
            }
        }
        if isHTTP2 { resources.connectAtEndOfIteration(self) } else { connectUpstream(excluding: nil) }
    }

    /// The end of the loop iteration in which an HTTP/2 request became ready to connect: unless the
    /// stream was reset or answered meanwhile.
    func connectAfterReads() {
        guard state == .awaitingUpstream, upstream == nil, context != nil else { return }
        connectUpstream(excluding: nil)
    }

    func connectUpstream(excluding: Int?) {
        guard let route = exchange.requestContext?.route else { return }
        exchange.attempts += 1
        if exchange.attempts > 1 { resources.metrics.recordRetry(group: route.upstream.index) }
        switch resources.pool.acquire(route.upstream, excluding: excluding, fresh: exchange.tunnelRequested) {
        case .ready(let connection):
            attach(connection)
        case .noHealthyEndpoint where excluding != nil:
            // The retry found no other endpoint: the failure itself is the answer.
            respondProblem(ProblemResponse(status: .badGateway, slug: "upstream-failed", detail: "upstream '\(route.upstream.name)' failed and no other endpoint is available"))
        case .noHealthyEndpoint:
            respondProblem(ProblemResponse(status: .serviceUnavailable, slug: "no-healthy-upstream", detail: "every endpoint of upstream '\(route.upstream.name)' is ejected after failures", extraHeaders: [("Retry-After", "1")]))
        case .connecting(let future, let endpoint):
            let connectStart = Self.now()
            future.hop(to: context.eventLoop).whenComplete { [self] result in
                switch result {
                case .success(let connection):
                    exchange.connectNanos = Self.now() - connectStart
                    guard state == .awaitingUpstream else {
                        resources.pool.release(connection, reusable: true)
                        return
                    }
                    attach(connection)
                case .failure(let error):
                    resources.pool.abandon(route.upstream, endpoint: endpoint)
                    resources.metrics.recordUpstreamFailure(group: route.upstream.index)
                    route.upstream.endpoints[endpoint].recordFailure(now: NIODeadline.now().uptimeNanoseconds)
                    guard state == .awaitingUpstream else { return }
                    if exchange.mayRetry, exchange.attempts < 2, route.upstream.endpoints.count > 1 {
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

    func attach(_ connection: UpstreamConnection) {
        guard let head = exchange.upstreamHead else { return }
        upstream = connection
        connection.delegate = self
        connection.exchanges += 1
        state = .forwarding
        exchange.upstreamSentNanos = Self.now()
        connection.write(.head(head))
        while let part = bufferedParts.popFirst() {
            connection.write(part)
        }
        resources.flushAtEndOfIteration(connection)
        if exchange.requestComplete { markRequestSent() }
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
        case .awaitingPhase:
            // A complete request may go on reading: what comes is a pipelined request, which is
            // buffered (and holds reads then). A body still coming waits for the phase.
            if exchange.requestComplete { context.read() } else { pendingRead = true }
        case .collectingBody:
            if bodyCollector?.isWriting == true { pendingRead = true } else { context.read() }
        case .awaitingUpstream where !exchange.connectDeferred:
            pendingRead = true
        case .forwarding:
            if let upstream, !upstream.isWritable { pendingRead = true } else { context.read() }
        default:
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        clientWritable = context.channel.isWritable
        deadlines.clientWritabilityChanged(writable: clientWritable, now: resources.sweeper.now)
        if clientWritable { upstream?.replayRead() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: exchange bookkeeping

    /// Writes the last part of a response; then the connection waits for the next request, or closes.
    /// The state changes before the write, so that anything the write sets off (a pipelined request
    /// dispatched right after) finds the connection ready.
    /// - Parameter writeEnd: writes the end; completes the promise, when one is given, once written.
    func finishExchange(writingEnd writeEnd: (EventLoopPromise<Void>?) -> Void) {
        if exchange.closeAfterResponse || !exchange.requestComplete {
            state = .closed
            closeAfterWriting(writeEnd)
            return
        }
        state = .awaitingHead
        beginWaitingForHead()
        writeEnd(nil)
        // Answered from inside a drain: the drain goes on with the next part, and its caller
        // finishes what follows here.
        if draining { return }
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
    func drainPipelined() {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while let next = pipelined.first {
            if case .head = next, state != .awaitingHead { return }
            pipelined.removeFirst()
            dispatch(next)
        }
    }

    func abortUpstream() {
        if let upstream {
            self.upstream = nil
            resources.pool.release(upstream, reusable: false)
        }
    }

    /// The connection is ready for its next request: nothing of the last exchange may leak into
    /// what is logged or answered next (a 400 on a kept-alive connection has no route, no body
    /// count, no headers of the request before it). The HTTP version stays, for that answer.
    func beginWaitingForHead() {
        if bodyCollector != nil || forwardedFile != nil { releaseCollectedBody() }
        let version = exchange.clientVersion
        exchange = RequestExchange()
        exchange.clientVersion = version
        deadlines.waitingForHead(now: resources.sweeper.now)
    }

    func markRequestSent() {
        exchange.requestSent = true
        deadlines.requestSent(now: resources.sweeper.now)
    }

    // MARK: timeouts, checked by the loop's sweeper

    func checkDeadlines(now: NIODeadline) {
        let timeouts = runtime.config.timeouts
        let phase: ConnectionDeadlines.Phase
        switch state {
        case .awaitingHead:
            phase = .waitingForHead(partialHeadBuffered: decoder?.hasPartialInput == true)
        case .awaitingUpstream, .forwarding:
            phase = .exchanging(requestComplete: exchange.requestComplete, requestSent: exchange.requestSent, responseHeadSent: exchange.responseHeadSent, upstreamReadHeld: upstream?.handler.isHoldingRead == true)
        case .awaitingPhase, .answerPending:
            // A phase's I/O gets as long as an upstream's answer would.
            if state == .awaitingPhase, Int64(now.uptimeNanoseconds) - exchange.startNanos >= timeouts.upstreamResponse {
                respondProblem(GatewayProblems.internalError("a request phase did not answer within \(Units.formatDuration(timeouts.upstreamResponse))"))
                return
            }
            phase = .exchanging(requestComplete: exchange.requestComplete, requestSent: false, responseHeadSent: false, upstreamReadHeld: false)
        case .collectingBody:
            phase = .exchanging(requestComplete: false, requestSent: false, responseHeadSent: false, upstreamReadHeld: false)
        default:
            phase = .other
        }
        switch deadlines.check(now: now, phase: phase, timeouts: timeouts) {
        case nil:
            return
        case .headerRead:
            let problem = ProblemResponse(status: .requestTimeout, slug: "header-timeout", detail: "the request head did not arrive within \(Units.formatDuration(timeouts.headerRead))")
            respondAndClose(problem, requestId: resources.requestIds.make())
        case .idleConnection:
            context.close(promise: nil)
        case .upstreamResponse:
            guard let upstream else { return }
            resources.metrics.recordUpstreamFailure(group: upstream.group.index)
            upstream.endpoint.recordFailure(now: now.uptimeNanoseconds)
            abortUpstream()
            respondProblem(ProblemResponse(status: .gatewayTimeout, slug: "upstream-timeout", detail: "upstream '\(upstream.group.name)' did not answer within \(Units.formatDuration(timeouts.upstreamResponse))"))
        case .upstreamSilent:
            if let upstream { upstreamWentSilent(upstream) }
        case .clientStalled:
            abortUpstream()
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ProxyConnectionHandler: Sendable {}
