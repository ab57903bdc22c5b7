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

    /// Created once per connection, so a deferred flush allocates nothing.
    private lazy var deferredFlush: @Sendable () -> Void = { [unowned(unsafe) self] in
        guard self.flushPending, let context = self.context else { return }
        self.flushPending = false
        context.flush()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if flushPending {
            flushPending = false
            context.flush()
        }
        self.context = nil
    }

    func flush(context: ChannelHandlerContext) {
        guard !flushPending else { return }
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
