#if ClamAVInProcess
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The in-process scanner: libclamav with the signatures of the configured directories. When a
/// directory changes, a new engine is compiled in the background and swapped in; scans already
/// running finish on the old one, which is freed when the last of them lets go.
public final class ClamAVEngine: Scanner {
    public let engineName = "clamav"
    private let config: ScannerConfig
    private let directories: [String]
    private let logger: Logger
    private let current: Mutex<(database: ClamAVDatabase, fingerprint: SignatureFingerprint)>
    private let watcher = Mutex<Task<Void, Never>?>(nil)
    /// Engines compiled since start (the first included), for tests and logs.
    private let generations = Atomic<Int>(1)

    /// Loads and compiles the signatures (blocking: call off the event loops).
    public init(config: ScannerConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        self.directories = Self.directories(config)
        let fingerprint = SignatureFingerprint(directories: directories)
        let database = try ClamAVDatabase(directories: directories, config: config)
        self.current = Mutex((database, fingerprint))
        logger.info("libclamav engine ready", metadata: ["signatures": "\(database.signatureCount)", "directories": "\(directories.joined(separator: ", "))"])
    }

    /// The configured directories, then ClamAV's own when it holds the official databases.
    static func directories(_ config: ScannerConfig) -> [String] {
        var directories = config.signatureDirectories
        if config.systemDatabase, SignatureFingerprint.holdsOfficialDatabase("/var/lib/clamav"), !directories.contains("/var/lib/clamav") {
            directories.append("/var/lib/clamav")
        }
        return directories
    }

    public var signatureCount: Int { current.withLock { $0.database.signatureCount } }
    public var engineGenerations: Int { generations.load(ordering: .relaxed) }

    public func scan(_ content: ScanContent, name: String?) -> ScanResult {
        let database = current.withLock { $0.database }
        return database.scan(content, name: name)
    }

    /// Polls the directories every `reload_interval`; a change compiles a new engine on `pool`.
    public func startWatching(pool: NIOThreadPool) {
        let interval = UInt64(config.reloadInterval)
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: interval)
                if Task.isCancelled { return }
                try? await pool.runIfActive { self.reloadIfChanged() }
            }
        }
        watcher.withLock { $0 = task }
    }

    /// Blocking. A directory that fails to load keeps the engine in force (logged).
    func reloadIfChanged() {
        let fingerprint = SignatureFingerprint(directories: directories)
        guard fingerprint != current.withLock({ $0.fingerprint }) else { return }
        do {
            let database = try ClamAVDatabase(directories: directories, config: config)
            current.withLock { $0 = (database, fingerprint) }
            generations.wrappingAdd(1, ordering: .relaxed)
            logger.notice("signatures reloaded", metadata: ["signatures": "\(database.signatureCount)"])
        } catch {
            // Remember the fingerprint: the same broken files are not retried every interval.
            current.withLock { $0.fingerprint = fingerprint }
            logger.error("signature reload failed; the previous engine stays", metadata: ["error": "\(error)"])
        }
    }

    public func shutdown() {
        watcher.withLock { $0?.cancel() }
    }
}
#endif
