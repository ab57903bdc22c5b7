import NIOCore

/// One event loop's access logger: the format's rules applied and the line written into the
/// loop's buffer. Loop-bound, like the requests it logs.
public final class AccessLogger {
    public let format: AccessLogFormat
    let output: LogLoopBuffer
    private var timestamp = LogTimestamp()
    /// Lines sampling left out on this loop (read it on the loop).
    public private(set) var sampledOutLines = 0

    init(format: AccessLogFormat, output: LogLoopBuffer) {
        self.format = format
        self.output = output
    }

    /// Logs one finished request (stamped with the current time), unless sampling leaves it out
    /// or the writer is too far behind for a sampleable line. Call it on the request's loop.
    public func log(_ record: AccessLogRecord) {
        guard format.shouldLog(record) else {
            sampledOutLines &+= 1
            return
        }
        let now = LogTimestamp.now()
        output.append(priority: !record.isSampleable) { buffer in
            format.write(record, timeNanos: now, timestamp: &timestamp, to: &buffer)
        }
    }

    /// Hands buffered lines to the writer now (tests; the buffer flushes itself within 100 ms).
    public func flush() { output.flush() }
}

@available(*, unavailable)
extension AccessLogger: Sendable {}
