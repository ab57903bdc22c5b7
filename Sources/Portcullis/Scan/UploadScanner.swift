import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The gateway's upload checking service, shared by every event loop: the scanning engine, the
/// scan thread pool (its size bounds how many scans run at once; they never run on an event
/// loop), the quarantine and the scan-duration histogram.
public final class UploadScanner: Sendable {
    public let config: ScannerConfig
    public let engine: Scanner
    public let quarantine: Quarantine?
    let pool: NIOThreadPool
    private let logger: Logger
    /// Scan durations by result: clean, infected, not_scanned.
    private let durations = Mutex(HistogramSet(seriesCount: 3))
    static let resultLabels = ["clean", "infected", "not_scanned"]

    public init(config: ScannerConfig, engine: Scanner, logger: Logger) throws {
        self.config = config
        self.engine = engine
        self.logger = logger
        self.quarantine = try config.quarantineDirectory.map { try Quarantine(directory: $0, maxBytes: config.quarantineMaxBytes) }
        self.pool = NIOThreadPool(numberOfThreads: config.concurrency)
        pool.start()
        #if ClamAVInProcess
        (engine as? ClamAVEngine)?.startWatching(pool: pool)
        #endif
    }

    /// The engine the config names, loaded now (blocking: signatures are read and compiled).
    public static func make(config: ScannerConfig, group: EventLoopGroup, logger: Logger) throws -> UploadScanner {
        let engine: Scanner
        switch config.engine {
        case .clamd:
            engine = ClamdClient(config: config, group: group, logger: logger)
        case .clamav:
            #if ClamAVInProcess
            engine = try ClamAVEngine(config: config, logger: logger)
            #else
            throw ClamdError.cannotRead("this build has no in-process engine")
            #endif
        }
        return try UploadScanner(config: config, engine: engine, logger: logger)
    }

    /// Scans one file on the calling (scan pool) thread, timing it.
    func scan(_ content: ScanContent, name: String?) -> ScanResult {
        let start = NIODeadline.now()
        // Over max_file_size the engine would not scan it whole: never clean (libclamav's
        // in-memory scans do not check the outer file's size themselves).
        let result = content.size > config.maxFileSize
            ? .notScanned(reason: "\(content.size) bytes, over the scanner's max_file_size (\(config.maxFileSize))")
            : engine.scan(content, name: name)
        let elapsed = Int64(NIODeadline.now().uptimeNanoseconds - start.uptimeNanoseconds)
        let series: Int
        switch result {
        case .clean: series = 0
        case .infected: series = 1
        case .notScanned(let reason):
            series = 2
            logger.warning("upload not scanned", metadata: ["reason": "\(reason)", "engine": "\(engine.engineName)"])
        }
        durations.withLock { $0.record(series: series, nanoseconds: elapsed) }
        return result
    }

    /// Checks a body on the scan pool; the verdict arrives on `eventLoop`.
    func inspect(_ body: RequestBody, contentType: String?, rule: UploadRule, record: Quarantine.Record, eventLoop: EventLoop) -> EventLoopFuture<UploadVerdict> {
        let inspector = UploadInspector(rule: rule, scanner: self, record: record)
        return pool.runIfActive(eventLoop: eventLoop) { inspector.inspect(body, contentType: contentType) }
    }

    /// A copy of the scan-duration histogram (for `/metrics`).
    var scanDurations: HistogramSet { durations.withLock { $0 } }

    public func shutdown() async {
        engine.shutdown()
        try? await pool.shutdownGracefully()
    }
}
