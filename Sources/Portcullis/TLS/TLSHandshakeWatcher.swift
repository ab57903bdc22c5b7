import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Watches a TLS handshake: closes the connection when it does not complete in time, counts how
/// it ended (completed, failed, closed by the client, timed out), then steps aside. Bad TLS input
/// (plain HTTP to the TLS port, a malformed ClientHello, a refused server name) is closed by
/// NIOSSL; here it is counted and logged at debug level, never more: a scanner must not be able
/// to flood the log.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private let metrics: LoopMetrics
    private let listener: Int
    private let logger: Logger?
    private var timer: Scheduled<Void>?
    private var outcome: TLSOutcome?

    init(timeout: TimeAmount, metrics: LoopMetrics, listener: Int, logger: Logger?) {
        self.timeout = timeout
        self.metrics = metrics
        self.listener = listener
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.1.finish(.timedOut)
            loopBound.value.0.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if case TLSUserEvent.handshakeCompleted = event {
            finish(.completed)
            // Pass the event on first: a removed handler's context no longer forwards anything.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if outcome == nil, Self.isEndOfInput(error) {
            // NIOSSL reports EOF mid-handshake as a failed handshake: the client went away.
            finish(.closed)
        } else if outcome == nil {
            logger?.debug("TLS handshake failed", metadata: ["error": "\(error)", "peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            finish(.failed)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // EOF before the handshake ended (a port scan, a client that gave up).
        finish(.closed)
        context.fireChannelInactive()
    }

    static func isEndOfInput(_ error: Error) -> Bool {
        guard let error = error as? NIOSSLError else { return false }
        switch error {
        case .uncleanShutdown: return true
        case .handshakeFailed(.sslError(let errors)): return errors.contains(.eofDuringHandshake)
        default: return false
        }
    }

    private func finish(_ result: TLSOutcome) {
        timer?.cancel()
        timer = nil
        guard outcome == nil else { return }
        outcome = result
        metrics.tlsHandshake(listener: listener, outcome: result)
    }
}

@available(*, unavailable)
extension TLSHandshakeWatcher: Sendable {}
