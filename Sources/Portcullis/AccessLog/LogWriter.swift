import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes log lines to one destination from one dedicated thread, so no event loop ever waits on
/// a disk, a full pipe or a stalled terminal.
///
/// Lines are serialized on each loop into that loop's `LogLoopBuffer` and handed here in batches
/// (64 KiB or 100 ms, whichever comes first): one queue lock per batch, nothing per line. The
/// queue is bounded by bytes waiting to be written: beyond `maxPendingBytes` (16 MiB) lines that
/// sampling could have dropped anyway are refused and counted; beyond four times that, every line
/// is (audit lines and blocked requests included; `droppedPriorityLines` counts them) — losing
/// log lines under a stalled sink beats blocking traffic or running out of memory.
public final class LogWriter: Sendable {
    public let destination: LogDestination
    /// Pending bytes beyond which sampleable lines are dropped.
    public let maxPendingBytes: Int
    /// Pending bytes beyond which every line is dropped.
    public var hardLimitBytes: Int { maxPendingBytes * 4 }

    private let pool: NIOThreadPool
    private let sink: LogSink
    private let logger: Logger
    private let pending = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)
    private let linesWritten = Atomic<Int>(0)
    private let bytesWritten = Atomic<Int>(0)
    private let linesDropped = Atomic<Int>(0)
    private let priorityLinesDropped = Atomic<Int>(0)
    private let failedWrites = Atomic<Int>(0)
    private let loopBuffers = Mutex<[LoopBufferHandle]>([])

    /// Opens the destination now (a file that cannot be opened is an error at start-up, not a
    /// silent loss later) and starts the writer thread.
    public init(destination: LogDestination, maxPendingBytes: Int = 16 << 20, logger: Logger) throws {
        self.destination = destination
        self.maxPendingBytes = maxPendingBytes
        self.logger = logger
        self.sink = try LogSink(destination: destination)
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        // A reader that goes away (`portcullis | head`) must cost log lines, not the process:
        // SIGPIPE blocked on this thread turns into EPIPE from write(2).
        pool.submit { _ in
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &set, nil)
        }
    }

    // MARK: Counters (read from any thread, e.g. by /metrics)

    /// Lines written to the destination.
    public var writtenLines: Int { linesWritten.load(ordering: .relaxed) }
    public var writtenBytes: Int { bytesWritten.load(ordering: .relaxed) }
    /// Lines lost: refused at the bound, lost to a failed write, or arriving after `close()`.
    public var droppedLines: Int { linesDropped.load(ordering: .relaxed) }
    /// The part of `droppedLines` that sampling would have kept (audit lines, blocked requests).
    public var droppedPriorityLines: Int { priorityLinesDropped.load(ordering: .relaxed) }
    /// write(2) or reopen failures.
    public var writeErrors: Int { failedWrites.load(ordering: .relaxed) }
    /// Bytes handed to the writer thread and not yet written.
    public var pendingBytes: Int { pending.load(ordering: .relaxed) }

    // MARK: Loop side

    /// The buffer `eventLoop`'s lines go into; create one per loop at start-up and keep it.
    public func makeLoopBuffer(on eventLoop: EventLoop) -> LogLoopBuffer {
        let buffer = LogLoopBuffer(writer: self, eventLoop: eventLoop)
        loopBuffers.withLock { $0.append(LoopBufferHandle(buffer: buffer)) }
        return buffer
    }

    /// Whether a line may be added now: one relaxed atomic load.
    func admits(priority: Bool) -> Bool {
        pending.load(ordering: .relaxed) < (priority ? hardLimitBytes : maxPendingBytes)
    }

    func countDropped(lines: Int, priority: Int) {
        linesDropped.wrappingAdd(lines, ordering: .relaxed)
        if priority > 0 { priorityLinesDropped.wrappingAdd(priority, ordering: .relaxed) }
    }

    /// Queues a batch of whole lines for the writer thread. Never blocks.
    func submit(_ batch: ByteBuffer, lines: Int, priorityLines: Int) {
        guard !closed.load(ordering: .relaxed) else {
            countDropped(lines: lines, priority: priorityLines)
            return
        }
        let bytes = batch.readableBytes
        pending.wrappingAdd(bytes, ordering: .relaxed)
        pool.submit { [self] state in
            defer { pending.wrappingSubtract(bytes, ordering: .relaxed) }
            // Items still queued at shutdown run as cancelled, possibly off the writer thread:
            // they must not touch the sink.
            guard state == .active, sink.isOpen, sink.write(batch) else {
                if state == .active, sink.isOpen { failedWrite() }
                countDropped(lines: lines, priority: priorityLines)
                return
            }
            linesWritten.wrappingAdd(lines, ordering: .relaxed)
            bytesWritten.wrappingAdd(bytes, ordering: .relaxed)
        }
    }

    private func failedWrite() {
        // Reported once per run of failures, so a full disk does not flood the gateway's own log.
        failedWrites.wrappingAdd(1, ordering: .relaxed)
        if sink.takeFirstFailure() {
            logger.error("log writer cannot write", metadata: ["log.destination": "\(destination)", "error": "\(sink.lastError)"])
        }
    }

    // MARK: Control plane

    /// Reopens a file destination (after logrotate moved it), between two batches; a no-op for
    /// stdout and stderr. If the new file cannot be opened the old one is kept and the error logged.
    public func reopen() {
        pool.submit { [self] state in
            guard state == .active else { return }
            if let error = sink.reopen() {
                failedWrites.wrappingAdd(1, ordering: .relaxed)
                logger.error("log file cannot be reopened; still writing to the old one", metadata: ["log.destination": "\(destination)", "error": "\(error)"])
            }
        }
    }

    /// Flushes every loop's buffer, writes everything queued, closes the file and stops the thread.
    /// Call once every loop has finished its requests but before the loops shut down; lines
    /// logged afterwards are counted as dropped.
    public func close() async {
        guard !closed.load(ordering: .relaxed) else { return }
        let buffers = loopBuffers.withLock { $0 }
        for handle in buffers {
            try? await handle.buffer.eventLoop.submit { handle.buffer.flush() }.get()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            closed.store(true, ordering: .relaxed)
            pool.submit { [self] state in
                if state == .active { sink.close() }
                continuation.resume()
            }
        }
        try? await pool.shutdownGracefully()
    }
}

/// A loop's buffer as the writer keeps it for `close()`: it is only ever used on its own loop
/// (flushed through `eventLoop.submit`), so handing the reference across threads is safe.
private struct LoopBufferHandle: @unchecked Sendable {
    let buffer: LogLoopBuffer
}
