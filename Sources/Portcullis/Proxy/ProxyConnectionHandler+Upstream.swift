import NIOCore
import NIOHTTP1

/// The upstream's side of an exchange: its response streamed to the client, its failures turned
/// into answers or retries, and the switch to a tunnel after a 101.
extension ProxyConnectionHandler: UpstreamConnectionDelegate {
    var isDownstreamWritable: Bool { clientWritable }

    func upstreamReceived(_ part: HTTPClientResponsePart, from connection: UpstreamConnection) {
        guard connection === upstream else { return }
        exchange.responseBytesSeen = true
        deadlines.upstreamProgressed = true
        switch part {
        case .head(var head):
            if head.status.code < 200, head.status != .switchingProtocols {
                // 100 Continue and other interim answers go straight through to HTTP/1.1 clients.
                if exchange.clientVersion.minor == 1 {
                    HopByHopHeaders.remove(from: &head.headers)
                    head.version = .http1_1
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    clientNeedsFlush = true
                }
                return
            }
            connection.endpoint.recordSuccess()
            exchange.upstreamHeadNanos = Self.now()
            if head.status == .switchingProtocols {
                guard exchange.tunnelRequested else {
                    upstreamFailed(connection, error: nil)
                    return
                }
                exchange.tunnelAccepted = true
            }
            writeResponseHead(head)
            clientNeedsFlush = true
        case .body(let buffer):
            exchange.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            clientNeedsFlush = true
        case .end(let trailers):
            if exchange.tunnelAccepted {
                switchToTunnel(connection)
                return
            }
            upstream = nil
            recordExchange(status: exchange.responseStatus, forwarded: true)
            let reusable = exchange.requestSent && exchange.upstreamKeepAlive && !exchange.tunnelRequested
            resources.pool.release(connection, reusable: reusable)
            // Trailers survive only where the client side is chunked too.
            let forwardedTrailers = exchange.clientChunked ? trailers.map { HopByHopHeaders.strip($0).headers } : nil
            finishExchange { promise in
                self.context.writeAndFlush(self.wrapOutboundOut(.end(forwardedTrailers)), promise: promise)
            }
        }
    }

    func writeResponseHead(_ upstreamHead: HTTPResponseHead) {
        let builder = ResponseHeadBuilder(
            clientVersion: exchange.clientVersion, isHeadRequest: exchange.isHeadRequest, requestComplete: exchange.requestComplete,
            closeAfterResponse: exchange.closeAfterResponse, tunnelAccepted: exchange.tunnelAccepted, requestId: exchange.requestContext?.requestId ?? ""
        )
        let result = builder.build(from: upstreamHead) { headers in decorateResponse(&headers, status: upstreamHead.status) }
        exchange.upstreamKeepAlive = result.upstreamKeepAlive
        exchange.closeAfterResponse = result.closeAfterResponse
        exchange.clientChunked = result.clientChunked
        exchange.responseHeadSent = true
        exchange.responseStatus = Int(result.head.status.code)
        context.write(wrapOutboundOut(.head(result.head)), promise: nil)
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
        guard !exchange.responseHeadSent else {
            // Part of the response is with the client already: all we can do is cut it short.
            context.close(promise: nil)
            return
        }
        let staleKeepAlive = connection.exchanges > 1 && !exchange.responseBytesSeen
        if !staleKeepAlive { resources.metrics.recordUpstreamFailure(group: connection.group.index) }
        if !staleKeepAlive { connection.endpoint.recordFailure(now: NIODeadline.now().uptimeNanoseconds) }
        // A reused connection the upstream had closed, or a bodiless idempotent request: safe to send again.
        if exchange.mayRetry, exchange.attempts < 2, !exchange.responseBytesSeen, exchange.requestComplete {
            state = .awaitingUpstream
            bufferedParts.removeAll(keepingCapacity: true)
            bufferedParts.append(.end(nil))
            exchange.requestSent = false
            connectUpstream(excluding: staleKeepAlive ? nil : connection.endpointIndex)
            return
        }
        respondProblem(ProblemResponse(status: .badGateway, slug: "upstream-failed", detail: "upstream '\(connection.group.name)' closed the connection before answering"))
    }

    /// Nothing came from the upstream for `upstream_idle` after the request was sent.
    func upstreamWentSilent(_ connection: UpstreamConnection) {
        resources.metrics.recordUpstreamFailure(group: connection.group.index)
        connection.endpoint.recordFailure(now: NIODeadline.now().uptimeNanoseconds)
        abortUpstream()
        if exchange.responseHeadSent {
            context.close(promise: nil)
        } else {
            respondProblem(ProblemResponse(status: .gatewayTimeout, slug: "upstream-timeout", detail: "upstream '\(connection.group.name)' went silent for \(Units.formatDuration(runtime.config.timeouts.upstreamIdle))"))
        }
    }

    // MARK: WebSocket and other upgrades

    /// After the 101 is written, both pipelines drop their HTTP handlers and copy bytes.
    func switchToTunnel(_ connection: UpstreamConnection) {
        recordExchange(status: 101, forwarded: true)
        state = .upgraded
        resources.sweeper.unregister(self)
        upstream = nil
        connection.delegate = nil
        resources.pool.detach(connection)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)

        // The switch removes this handler, which lets go of its context: keep it for the failure path.
        let context: ChannelHandlerContext = self.context
        do {
            try TunnelSwitch.perform(client: context, upstream: connection, idleTimeout: .nanoseconds(runtime.config.timeouts.tunnelIdle))
        } catch {
            runtime.logger.warning("could not switch to a tunnel", metadata: ["error": "\(error)"])
            connection.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}
