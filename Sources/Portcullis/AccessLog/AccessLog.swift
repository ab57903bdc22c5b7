import Logging
import NIOCore

/// The access log as the gateway holds it: one writer (its own thread and destination) and the
/// line format, shared by every loop. Each loop logs through its own `AccessLogger`.
///
/// Start-up: `AccessLog(config:logger:)` (nil config or `off` → no access log), then one
/// `makeLogger(on:)` per event loop kept in that loop's resources. Per request:
/// `logger.log(record)`. SIGUSR1: `reopen()`. Shutdown, after the drain and before the loops stop:
/// `await close()`.
public final class AccessLog: Sendable {
    public let writer: LogWriter
    public let format: AccessLogFormat

    public init(config: AccessLogConfig, logger: Logger, maxPendingBytes: Int = 16 << 20) throws {
        writer = try LogWriter(destination: config.destination, maxPendingBytes: maxPendingBytes, logger: logger)
        format = AccessLogFormat(config: config)
    }

    public init(writer: LogWriter, format: AccessLogFormat) {
        self.writer = writer
        self.format = format
    }

    /// The logger for requests on `eventLoop`; create it once per loop.
    public func makeLogger(on eventLoop: EventLoop) -> AccessLogger {
        AccessLogger(format: format, output: writer.makeLoopBuffer(on: eventLoop))
    }

    public func reopen() { writer.reopen() }

    public func close() async { await writer.close() }
}
