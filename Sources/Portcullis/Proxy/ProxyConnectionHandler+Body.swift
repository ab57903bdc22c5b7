import NIOCore
import NIOHTTP1
import NIOPosix

/// Requests whose body a phase must see first (upload scanning): the body is read whole — in
/// memory, then spooled — with its limit enforced while reading, handed to the phase, and only
/// then forwarded, with a Content-Length. Nothing reaches the upstream before the verdict.
extension ProxyConnectionHandler {
    /// A phase answered `.collectBody`: read the body (or hand over the one read already).
    func collectBody(forPhase index: Int, maxBytes: Int, overLimit: AccessLogDecision?) {
        if let body = exchange.collectedBody {
            deliverBody(body, toPhase: index)
            return
        }
        exchange.bodyPhase = index
        exchange.bodyLimit = min(exchange.bodyLimit, maxBytes)
        exchange.bodyOverLimit = overLimit
        let config = runtime.config.scanner ?? ScannerConfig()
        let collector = RequestBodyCollector(threshold: config.memoryThreshold, directory: config.spoolDirectory, threadPool: NIOThreadPool.singleton, eventLoop: context.eventLoop)
        collector.onWritten = { [weak self, unowned collector] in
            // A spool write is done: read on (reads were held so the client cannot outrun the disk).
            guard let self, self.bodyCollector === collector else { return }
            if self.pendingRead, self.state == .collectingBody, !collector.isWriting {
                self.pendingRead = false
                self.context.read()
            }
        }
        bodyCollector = collector
        state = .collectingBody
        if exchange.bodyBytes > exchange.bodyLimit {
            bodyOverLimit()
            return
        }
        // Parts read while an earlier phase waited.
        while let part = bufferedParts.popFirst() {
            if case .body(.byteBuffer(let buffer)) = part { collector.append(buffer) }
        }
        if exchange.requestComplete {
            finishCollecting()
            return
        }
        if exchange.hasExpect, !isHTTP2, exchange.clientVersion.minor == 1 {
            // The client waits for this before it sends the body; the upstream gets no Expect.
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        }
        if pendingRead, !collector.isWriting {
            pendingRead = false
            context.read()
        }
    }

    /// A body part while collecting (its size is checked already).
    func collected(_ buffer: ByteBuffer) {
        bodyCollector?.append(buffer)
    }

    /// The body went over the limit while being read (chunked, or HTTP/2 without a length).
    func bodyOverLimit() {
        let problem = ProblemResponse(status: .payloadTooLarge, slug: "body-too-large", detail: "the request body exceeds \(exchange.bodyLimit) bytes, the limit of this route")
        if let decision = exchange.bodyOverLimit {
            exchange.requestContext?.decisions.append(decision)
            exchange.blockedBy = problem
        }
        respondAndClose(problem, requestId: exchange.requestContext?.requestId ?? "-")
    }

    /// The request's end is read: wait for the last spool write, then ask the phase.
    func finishCollecting() {
        guard let collector = bodyCollector else { return }
        // Reads stay held while the phase decides (what follows is a pipelined request).
        state = .awaitingPhase
        collector.finish().whenComplete { [self] result in
            guard state == .awaitingPhase else { return }
            switch result {
            case .success(let body):
                exchange.collectedBody = body
                deliverBody(body, toPhase: exchange.bodyPhase)
            case .failure(let error):
                runtime.logger.error("could not spool a request body", metadata: ["error": "\(error)", "request_id": "\(exchange.requestContext?.requestId ?? "-")"])
                answerFromPhase(.problem(ProblemResponse(status: .serviceUnavailable, slug: "spool-failed", detail: "the gateway could not store the request body to check it", extraHeaders: [("Retry-After", "5")])))
            }
        }
    }

    func deliverBody(_ body: RequestBody, toPhase index: Int) {
        guard var requestContext = exchange.requestContext, var forwarded = exchange.upstreamHead else { return }
        let phases = requestContext.policies.requestPhases
        guard index >= 0, index < phases.count else { return }
        let outcome = phases[index].requestBody(body, head: &forwarded, context: &requestContext, eventLoop: context.eventLoop)
        exchange.requestContext = requestContext
        exchange.upstreamHead = forwarded
        switch outcome {
        case .proceed:
            runPhases(from: index + 1)
        case .respond(let problem):
            answerFromPhase(.problem(problem))
        case .respondWith(let head, let body):
            answerFromPhase(.response(head, body))
        case .pending(let future):
            awaitPhase(future, resumeAt: index + 1)
        case .collectBody:
            runPhases(from: index + 1)
        }
    }

    /// The checked body goes upstream whole, with a Content-Length (never chunked): from memory,
    /// or from the spool file as a file region (sendfile), the file unlinked at once (the open
    /// descriptor keeps it readable until the write is done).
    func prepareCollectedBody(_ body: RequestBody) {
        exchange.framing = body.size > 0 ? .contentLength(body.size) : .none
        exchange.hasExpect = false
        if var head = exchange.upstreamHead {
            head.headers.remove(name: "Transfer-Encoding")
            head.headers.remove(name: "Expect")
            if body.size > 0 || head.headers.contains(name: "Content-Length") {
                head.headers.replaceOrAdd(name: "Content-Length", value: String(body.size))
            }
            exchange.upstreamHead = head
        }
        bufferedParts.removeAll(keepingCapacity: true)
        if let memory = body.memory, memory.readableBytes > 0 {
            bufferedParts.append(.body(.byteBuffer(memory)))
        } else if body.spoolPath != nil, let file = bodyCollector?.spoolFile, let handle = try? file.forwardingHandle() {
            forwardedFile = handle
            bufferedParts.append(.body(.fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: body.size))))
        }
        bufferedParts.append(.end(nil))
        bodyCollector?.discard()
    }

    /// The exchange is over: its spool file and forwarding descriptor go.
    func releaseCollectedBody() {
        bodyCollector?.discard()
        bodyCollector = nil
        if let forwardedFile {
            self.forwardedFile = nil
            try? forwardedFile.close()
        }
    }
}
