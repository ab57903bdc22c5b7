import NIOCore

/// Lets one HTTP/2 connection open at most `streamsPerIteration` streams per event-loop iteration;
/// the rest of what it sent waits for the next iteration, after every other ready connection of
/// the loop has had its turn.
///
/// A stream costs the loop tens of microseconds (a stream channel, a pipeline, a request), and one
/// TLS read can hold hundreds of HEADERS frames: a rapid-reset client (CVE-2023-44487) sent 200
/// streams per read and held the loop for about 5 ms each time, which every other client waited
/// out (`scripts/bench-floods`). Placed between TLS and the HTTP/2 handler, this handler walks the
/// frame headers (9 bytes each, RFC 9113 §4.1) without parsing anything else, passes bytes up to
/// the frame that would exceed the budget, and holds the rest, and the connection's reads, until
/// the loop has polled its sockets again and served the others (a scheduled task, not `execute`:
/// NIO runs every task that is due before it polls again). A client within its budget pays one
/// length walk per read.
final class HTTP2StreamBudgetHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// Twice the usual `max_concurrent_streams` of a browser's burst is not needed: 32 streams is
    /// under a millisecond of work, and a page's hundred requests take four iterations.
    static let defaultStreamsPerIteration = 32
    private static let headersFrameType: UInt8 = 0x1
    private static let frameHeaderLength = 9
    private static let minimumPause = TimeAmount.microseconds(50)
    private static let maximumPause = TimeAmount.milliseconds(5)

    private let streamsPerIteration: Int
    /// The client connection preface (`PRI * HTTP/2.0…`, 24 bytes) is not a frame: skipped first.
    private var prefaceRemaining = 24
    /// Bytes of the current frame that have not arrived yet: passed on without looking.
    private var frameRemaining = 0
    private var streamsThisIteration = 0
    /// What is held for the next iteration (from the first frame header over the budget), plus a
    /// frame header split across reads.
    private var held: ByteBuffer?
    private var readHeld = false
    private var resumeScheduled = false
    private var context: ChannelHandlerContext?

    init(streamsPerIteration: Int = HTTP2StreamBudgetHandler.defaultStreamsPerIteration) {
        self.streamsPerIteration = streamsPerIteration
    }

    /// Created once per connection.
    private lazy var resume: @Sendable () -> Void = { [unowned(unsafe) self] in
        self.resumeScheduled = false
        guard let context = self.context else { return }
        self.streamsThisIteration = 0
        self.pass(context: context)
        context.fireChannelReadComplete()
        if !self.resumeScheduled {
            // Everything held has gone through: the next read is a new iteration.
            self.streamsThisIteration = 0
            if self.readHeld {
                self.readHeld = false
                context.read()
            }
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let held, held.readableBytes > 0 {
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
        if !resumeScheduled { streamsThisIteration = 0 }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if resumeScheduled {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Passes on the held bytes up to the first HEADERS frame over the budget (or all of them).
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
            if buffer.getInteger(at: offset + 3, as: UInt8.self) == Self.headersFrameType {
                if streamsThisIteration == streamsPerIteration {
                    stop = offset
                    resumeScheduled = true
                    break
                }
                streamsThisIteration += 1
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
        context.eventLoop.scheduleTask(in: min(max(spent, Self.minimumPause), Self.maximumPause), resume)
    }

}
