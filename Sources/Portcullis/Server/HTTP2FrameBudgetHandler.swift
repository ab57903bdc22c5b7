import NIOCore

/// Lets one HTTP/2 connection make the loop work on at most `framesPerIteration` costly frames
/// (`HEADERS`, `RST_STREAM`, `PING`, `SETTINGS`, `PRIORITY`) per event-loop iteration; the rest of
/// what it sent waits until every other ready connection of the loop has had its turn.
///
/// One TLS read can hold thousands of small frames. A rapid-reset client (CVE-2023-44487) sent
/// hundreds of streams per read, each a stream channel, a pipeline and a request (tens of
/// microseconds), and held the loop for milliseconds each time; a PING flood, thousands of PINGs
/// per read, each answered (about a microsecond). Every other client waited it out
/// (`scripts/bench-floods`). Placed between TLS and the HTTP/2 handler, this handler walks the frame
/// headers (9 bytes each, RFC 9113 §4.1) without parsing anything else, passes bytes up to the frame
/// that would exceed the budget, and holds the rest, and the connection's reads, until the loop has
/// polled its sockets again and served the others (a scheduled task, not `execute`: NIO runs every
/// task that is due before it polls again). `DATA`, `WINDOW_UPDATE` and `CONTINUATION` frames are
/// free: a client within its budget pays one length walk per read.
final class HTTP2FrameBudgetHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// 32 streams, each opened and reset, are well under a millisecond of work; a page's hundred
    /// requests take four iterations.
    static let defaultFramesPerIteration = 64
    /// HEADERS 0x1, PRIORITY 0x2, RST_STREAM 0x3, SETTINGS 0x4, PING 0x6 (RFC 9113 §6).
    private static let costlyFrameTypes: UInt16 = 1 << 0x1 | 1 << 0x2 | 1 << 0x3 | 1 << 0x4 | 1 << 0x6
    private static let frameHeaderLength = 9
    private static let minimumPause = TimeAmount.microseconds(50)
    private static let maximumPause = TimeAmount.milliseconds(5)

    private let framesPerIteration: Int
    /// The client connection preface (`PRI * HTTP/2.0…`, 24 bytes) is not a frame: skipped first.
    private var prefaceRemaining = 24
    /// Bytes of the current frame that have not arrived yet: passed on without looking.
    private var frameRemaining = 0
    private var framesThisIteration = 0
    /// What is held for the next iteration (from the first frame header over the budget), plus a
    /// frame header split across reads.
    private var held: ByteBuffer?
    private var readHeld = false
    private var resumeScheduled = false
    private var context: ChannelHandlerContext?

    init(framesPerIteration: Int = HTTP2FrameBudgetHandler.defaultFramesPerIteration) {
        self.framesPerIteration = framesPerIteration
    }

    /// The held bytes' turn has come: another batch, and the connection's reads once all are through.
    private func resume() {
        resumeScheduled = false
        guard let context else { return }   // closed meanwhile
        framesThisIteration = 0
        pass(context: context)
        context.fireChannelReadComplete()
        if !resumeScheduled {
            // Everything held has gone through: the next read is a new iteration.
            framesThisIteration = 0
            if readHeld {
                readHeld = false
                context.read()
            }
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Taken out of a live pipeline, the handler hands on what it held; a closed connection's
        // bytes go nowhere.
        if context.channel.isActive, let held, held.readableBytes > 0 {
            self.held = nil
            context.fireChannelRead(wrapInboundOut(held))
        }
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if held == nil {
            held = buffer
        } else {
            var incoming = buffer
            held!.writeBuffer(&incoming)
        }
        if !resumeScheduled { pass(context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Over budget, the iteration ends in `resume`; otherwise the next read is a new iteration.
        if !resumeScheduled { framesThisIteration = 0 }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if resumeScheduled {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Passes on the held bytes up to the first costly frame over the budget (or all of them).
    private func pass(context: ChannelHandlerContext) {
        guard var buffer = held else { return }
        held = nil
        var offset = buffer.readerIndex
        let end = buffer.writerIndex
        let skipped = min(prefaceRemaining, end - offset)
        prefaceRemaining -= skipped
        offset += skipped
        var stop = end
        while true {
            let skip = min(frameRemaining, end - offset)
            frameRemaining -= skip
            offset += skip
            if offset == end { break }
            if end - offset < Self.frameHeaderLength {
                stop = offset   // a frame header split across reads: keep it until the rest arrives
                break
            }
            let length = Int(buffer.getInteger(at: offset, as: UInt32.self)! >> 8)
            let type = buffer.getInteger(at: offset + 3, as: UInt8.self)!
            if type < 16, Self.costlyFrameTypes >> type & 1 == 1 {
                if framesThisIteration == framesPerIteration {
                    stop = offset
                    resumeScheduled = true
                    break
                }
                framesThisIteration += 1
            }
            frameRemaining = Self.frameHeaderLength + length
        }
        if stop < end {
            held = buffer.getSlice(at: stop, length: end - stop)
            buffer.moveWriterIndex(to: stop)
        }
        guard resumeScheduled else {
            if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
            return
        }
        let started = NIODeadline.now()
        context.fireChannelRead(wrapInboundOut(buffer))
        // NIO runs every task that is due before it polls again: a pause as long as the batch took
        // makes sure the loop polls in between, and gives this connection at most half the loop.
        let spent = NIODeadline.now() - started
        // The task holds the handler: the connection may close, and the handler go, before it runs.
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: min(max(spent, Self.minimumPause), Self.maximumPause)) { handler.value.resume() }
    }

}
