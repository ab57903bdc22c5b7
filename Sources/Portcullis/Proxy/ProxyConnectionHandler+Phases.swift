import NIOCore
import NIOHTTP1

/// The policy's request phases, run on a request head before anything is forwarded: each may let
/// it through, answer it itself (a refusal, a preflight), or wait for I/O and resume on the loop.
extension ProxyConnectionHandler {
    /// Runs the policy's request phases from `index` on; each may answer the request itself.
    /// A phase that needs I/O returns a future: reads are held meanwhile, and the phases go on
    /// from the next one when it completes (on this loop).
    func runPhases(from index: Int) {
        guard var requestContext = exchange.requestContext, var forwarded = exchange.upstreamHead else { return }
        let phases = requestContext.policies.requestPhases
        var next = index
        while next < phases.count {
            let outcome = phases[next].requestHead(&forwarded, context: &requestContext, eventLoop: context.eventLoop)
            next += 1
            switch outcome {
            case .proceed:
                continue
            case .respond(let problem):
                exchange.requestContext = requestContext
                answerFromPhase(.problem(problem))
            case .respondWith(let head, let body):
                exchange.requestContext = requestContext
                answerFromPhase(.response(head, body))
            case .pending(let future):
                exchange.requestContext = requestContext
                exchange.upstreamHead = forwarded
                awaitPhase(future, resumeAt: next)
            case .collectBody(let maxBytes, let overLimit):
                exchange.requestContext = requestContext
                exchange.upstreamHead = forwarded
                collectBody(forPhase: next - 1, maxBytes: maxBytes, overLimit: overLimit)
            }
            return
        }
        exchange.requestContext = requestContext
        exchange.upstreamHead = forwarded
        forwardUpstream()
    }

    /// A phase waits for I/O: reads are held, and the phases go on from `resumeAt` when it
    /// completes (on this loop).
    func awaitPhase(_ future: EventLoopFuture<PhaseOutcome>, resumeAt: Int) {
        state = .awaitingPhase
        future.hop(to: context.eventLoop).whenComplete { [self] result in
            // The connection may have closed (or answered) meanwhile.
            guard state == .awaitingPhase else { return }
            switch result {
            case .success(.proceed):
                runPhases(from: resumeAt)
            case .success(.respond(let problem)):
                answerFromPhase(.problem(problem))
            case .success(.respondWith(let head, let body)):
                answerFromPhase(.response(head, body))
            case .success(.collectBody(let maxBytes, let overLimit)):
                collectBody(forPhase: resumeAt - 1, maxBytes: maxBytes, overLimit: overLimit)
            case .success(.pending):
                answerFromPhase(.problem(GatewayProblems.internalError("a request phase answered with a second asynchronous step")))
            case .failure(let error):
                runtime.logger.error("a request phase failed", metadata: ["error": "\(error)", "request_id": "\(exchange.requestContext?.requestId ?? "-")"])
                answerFromPhase(.problem(GatewayProblems.internalError("a request phase failed")))
            }
        }
    }

    /// A phase answered: a request without a body gets the answer once its end is read (the
    /// connection stays open); one with a body is answered now, and the connection (or HTTP/2
    /// stream) closes, since the body is not read.
    func answerFromPhase(_ answer: GatewayAnswer) {
        let requestId = exchange.requestContext?.requestId ?? "-"
        // A refusal (4xx) is audited; the gateway's own failure is not a block.
        if case .problem(let problem) = answer, problem.status.code < 500 { exchange.blockedBy = problem }
        if exchange.requestComplete {
            respond(answer, requestId: requestId, close: exchange.closeAfterResponse)
        } else if exchange.framing == RequestHygiene.Framing.none, bufferedParts.isEmpty {
            exchange.pendingAnswer = answer
            state = .answerPending
            // Reads were held while an asynchronous phase ran: the request's end must come in.
            if pendingRead {
                pendingRead = false
                context.read()
            }
        } else {
            respond(answer, requestId: requestId, close: true)
        }
    }

    /// Every phase let the request through: forward it.
    func forwardUpstream() {
        if let body = exchange.collectedBody { prepareCollectedBody(body) }
        guard let method = exchange.upstreamHead?.method else { return }
        let framing = exchange.framing
        exchange.mayRetry = framing == .none && method.isIdempotent
        state = .awaitingUpstream
        exchange.connectDeferred = framing == .chunked && !exchange.hasExpect
        if isHTTP2, framing == .none {
            // HTTP/2 may send a body without a length: wait for the first DATA or the end of the stream.
            exchange.lengthUnknown = true
            exchange.connectDeferred = true
        }
        if !exchange.connectDeferred || exchange.requestComplete || !bufferedParts.isEmpty {
            if exchange.connectDeferred { connectIfDeferred() } else { connectUpstream(excluding: nil) }
        }
        if pendingRead, state == .awaitingUpstream, exchange.connectDeferred {
            pendingRead = false
            context.read()
        }
    }
}
