import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Answers the gateway makes itself (problem+json, a phase's response): shaped with the route's
/// security headers and the phases' edits, written whole, then the connection waits for the next
/// request or closes.
extension ProxyConnectionHandler {
    /// Answers with problem+json; the connection closes afterwards when the request was not fully read.
    func respondProblem(_ problem: ProblemResponse) {
        let requestId = exchange.requestContext?.requestId ?? resources.requestIds.make()
        respond(.problem(problem), requestId: requestId, close: !exchange.requestComplete || exchange.closeAfterResponse)
    }

    func respondAndClose(_ problem: ProblemResponse, requestId: String) {
        respond(.problem(problem), requestId: requestId, close: true)
    }

    /// Writes an answer the gateway makes itself; then the connection waits for the next request,
    /// or closes.
    func respond(_ answer: GatewayAnswer, requestId: String, close: Bool) {
        state = .answered
        // Shaped now, while the exchange still knows its route and phases.
        let keepOpen = !close || (isHTTP2 && exchange.requestComplete)
        let (head, body) = shape(answer, requestId: requestId, close: !keepOpen)
        exchange.bytesOut += exchange.isHeadRequest ? 0 : body?.readableBytes ?? 0
        recordExchange(status: Int(head.status.code), forwarded: false, requestId: requestId)
        // Decided now: finishExchange resets the exchange before the write runs.
        let sentBody = exchange.isHeadRequest ? nil : body
        exchange.responseHeadSent = true
        let write = { (promise: EventLoopPromise<Void>?) in self.writeAnswer(head, body: sentBody, promise: promise) }
        if !close {
            finishExchange(writingEnd: write)
        } else if keepOpen {
            // END_STREAM ends the stream; closing it would reset it before the answer is out.
            write(nil)
        } else {
            closeAfterWriting(write)
        }
    }

    /// Closes once the last write has left: closing at once could drop an answer still queued
    /// behind a full socket buffer (or, on HTTP/2, reset the stream before its end is sent).
    func closeAfterWriting(_ write: (EventLoopPromise<Void>?) -> Void) {
        let written = context.eventLoop.makePromise(of: Void.self)
        write(written)
        written.futureResult.whenComplete { [self] _ in
            // Closed meanwhile: the context may already be gone (handlerRemoved).
            guard context != nil else { return }
            if isHTTP2, exchange.responseHeadSent, !exchange.requestComplete {
                // The answer is complete but the client is still sending: RST_STREAM(NO_ERROR)
                // asks it to stop and keep the response (RFC 9113 §8.1); closing the stream would
                // send CANCEL, and clients discard the answer.
                stopHTTP2Stream()
            } else {
                context.close(promise: nil)
            }
        }
    }

    /// Sends RST_STREAM(NO_ERROR) below the HTTP/1 translation, which ends the stream.
    func stopHTTP2Stream() {
        guard let codec = try? context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTP1ServerCodec.self) else {
            context.close(promise: nil)
            return
        }
        codec.writeAndFlush(NIOAny(HTTP2Frame.FramePayload.rstStream(.noError)), promise: nil)
    }

    /// The head and body of an answer, with the route's security headers and the phases' edits.
    func shape(_ answer: GatewayAnswer, requestId: String, close: Bool) -> (HTTPResponseHead, ByteBuffer?) {
        let version: HTTPVersion = exchange.clientVersion.minor == 0 ? .http1_0 : .http1_1
        var head: HTTPResponseHead
        let body: ByteBuffer?
        switch answer {
        case .problem(let problem):
            let problemBody = problem.body(requestId: requestId, allocator: context.channel.allocator)
            head = problem.head(version: version, requestId: requestId, bodyLength: problemBody.readableBytes, close: close)
            decorateResponse(&head.headers, status: head.status)
            // Whatever the route's header policy says, an error is never cached.
            head.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            body = problemBody
        case .response(let answerHead, let answerBody):
            var headers = answerHead.headers
            headers.add(name: "X-Request-Id", value: requestId)
            let status = answerHead.status.code
            if status >= 200, status != 204, status != 304 { headers.add(name: "Content-Length", value: String(answerBody?.readableBytes ?? 0)) }
            if close { headers.add(name: "Connection", value: "close") }
            decorateResponse(&headers, status: answerHead.status)
            head = HTTPResponseHead(version: version, status: answerHead.status, headers: headers)
            body = answerBody
        }
        if version.minor == 0, !close { head.headers.add(name: "Connection", value: "keep-alive") }
        return (head, body)
    }

    /// Writes a whole answer; reads nothing of the exchange (it may be reset already).
    func writeAnswer(_ head: HTTPResponseHead, body: ByteBuffer?, promise: EventLoopPromise<Void>?) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    /// The route's security headers (the global block when no route was chosen) and the response
    /// edits of the request's phases, for an answer from the upstream or from the gateway.
    func decorateResponse(_ headers: inout HTTPHeaders, status: HTTPResponseStatus) {
        (exchange.headerActions ?? resources.policies.headers.global).apply(to: &headers, isTLS: isTLS)
        guard let requestContext = exchange.requestContext else { return }
        for phase in requestContext.policies.requestPhases {
            phase.responseHead(&headers, status: status, context: requestContext)
        }
    }
}
