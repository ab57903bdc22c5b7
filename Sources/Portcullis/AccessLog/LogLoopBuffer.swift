import NIOCore

/// One event loop's share of a `LogWriter`: lines are serialized straight into `buffer` (no lock,
/// no allocation beyond the buffer's growth) and the buffer is handed to the writer thread when it
/// reaches 64 KiB or 100 ms after its first line. Loop-bound: use it only on `eventLoop`.
public final class LogLoopBuffer {
    static let batchBytes = 64 << 10
    static let flushDelay = TimeAmount.milliseconds(100)

    let writer: LogWriter
    public let eventLoop: EventLoop
    private var buffer: ByteBuffer
    private var lines = 0
    private var priorityLines = 0
    private var flushScheduled = false

    init(writer: LogWriter, eventLoop: EventLoop) {
        self.writer = writer
        self.eventLoop = eventLoop
        self.buffer = ByteBufferAllocator().buffer(capacity: 4096)
    }

    /// Appends one line written by `body`, unless the writer is too far behind for a line of this
    /// kind (then it is counted as dropped and `body` is not run). `priority`: a line sampling
    /// must never drop (audit, blocked requests) — it is dropped only at the writer's hard bound.
    @discardableResult
    public func append(priority: Bool, _ body: (inout ByteBuffer) -> Void) -> Bool {
        eventLoop.assertInEventLoop()
        guard writer.admits(priority: priority) else {
            writer.countDropped(lines: 1, priority: priority ? 1 : 0)
            return false
        }
        body(&buffer)
        lines += 1
        if priority { priorityLines += 1 }
        if buffer.readableBytes >= Self.batchBytes {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            eventLoop.assumeIsolated().scheduleTask(in: Self.flushDelay) {
                self.flushScheduled = false
                self.flush()
            }
        }
        return true
    }

    /// Hands what is buffered to the writer thread now.
    public func flush() {
        eventLoop.assertInEventLoop()
        guard lines > 0 else { return }
        let batch = buffer
        // The next batch starts with room for about as much as this one held (at least 4 KiB, at
        // most a full batch and a line), so a steady rate writes without regrowing the buffer.
        let capacity = min(max(batch.readableBytes + batch.readableBytes / 4, 4096), Self.batchBytes + 8192)
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        writer.submit(batch, lines: lines, priorityLines: priorityLines)
        lines = 0
        priorityLines = 0
    }
}

@available(*, unavailable)
extension LogLoopBuffer: Sendable {}
