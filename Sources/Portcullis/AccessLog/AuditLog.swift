import Logging
import NIOCore

/// The audit log: the same writer as the access log, its own destination. Events found on an
/// event loop (blocks, bans) go through that loop's `AuditLogger`; control-plane events (policy
/// reloads) through `log(_:)` from any thread. Every audit line is a priority line: never sampled,
/// dropped only at the writer's hard bound (`LogWriter.droppedPriorityLines` counts it).
public final class AuditLog: Sendable {
    public let writer: LogWriter

    public init(config: AuditLogConfig, logger: Logger, maxPendingBytes: Int = 16 << 20) throws {
        writer = try LogWriter(destination: config.destination, maxPendingBytes: maxPendingBytes, logger: logger)
    }

    public init(writer: LogWriter) { self.writer = writer }

    public func makeLogger(on eventLoop: EventLoop) -> AuditLogger {
        AuditLogger(output: writer.makeLoopBuffer(on: eventLoop))
    }

    /// From any thread, off the hot path (one buffer and one queue lock per line): reloads,
    /// start-up events.
    public func log(_ record: AuditRecord) {
        guard writer.admits(priority: true) else {
            writer.countDropped(lines: 1, priority: 1)
            return
        }
        var timestamp = LogTimestamp()
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        record.write(timeNanos: LogTimestamp.now(), timestamp: &timestamp, to: &buffer)
        writer.submit(buffer, lines: 1, priorityLines: 1)
    }

    public func reopen() { writer.reopen() }

    public func close() async { await writer.close() }
}
