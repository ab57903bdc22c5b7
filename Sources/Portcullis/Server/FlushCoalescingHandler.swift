import NIOCore

/// Turns the many flushes an HTTP/2 connection receives in one event-loop iteration into one.
///
/// Each stream flushes on its own, and responses arrive from separate upstream sockets, so ten
/// streams answered in the same iteration would each encrypt a TLS record and make a `write`
/// system call. Placed between TLS and the HTTP/2 handler, this handler lets the first flush of an
/// iteration through only when the loop has finished the iteration's I/O (`execute` runs after the
/// ready events), by which time every stream's frames are queued: one record, one system call.
/// A close first flushes what is waiting, so a GOAWAY is never lost.
final class FlushCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var flushPending = false
    private var context: ChannelHandlerContext?

    /// Created once per connection, so a deferred flush allocates nothing. It holds the handler: a
    /// connection can close, and its pipeline let go of the handler, before the task runs (an
    /// `unowned(unsafe)` capture here read freed memory then). Released in `handlerRemoved`.
    private var deferredFlush: (@Sendable () -> Void)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        deferredFlush = { handler.value.flushDeferred() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if flushPending {
            flushPending = false
            context.flush()
        }
        self.context = nil
        deferredFlush = nil
    }

    private func flushDeferred() {
        guard flushPending, let context else { return }
        flushPending = false
        context.flush()
    }

    func flush(context: ChannelHandlerContext) {
        guard !flushPending else { return }
        guard let deferredFlush else { return context.flush() }
        flushPending = true
        context.eventLoop.execute(deferredFlush)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }
}
