import NIOCore

/// One event loop's audit logger (blocks and bans found while handling requests). Loop-bound.
public final class AuditLogger {
    let output: LogLoopBuffer
    private var timestamp = LogTimestamp()

    init(output: LogLoopBuffer) {
        self.output = output
    }

    /// Call on the loop; the line is stamped with the current time.
    public func log(_ record: AuditRecord) {
        let now = LogTimestamp.now()
        output.append(priority: true) { buffer in
            record.write(timeNanos: now, timestamp: &timestamp, to: &buffer)
        }
    }

    public func flush() { output.flush() }
}

@available(*, unavailable)
extension AuditLogger: Sendable {}
