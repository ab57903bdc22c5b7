import Logging
import NIOPosix
import Synchronization

/// The database the geo gate looks addresses up in, shared by every event loop: re-opened off
/// the loops when the file changes on disk and swapped atomically. A lookup holds its own
/// reference for its duration, so the previous database is closed only once no lookup can use
/// it; a replacement that does not open keeps the database in use (logged and counted).
public final class GeoDatabaseStore: Sendable {
    public let config: GeoConfig
    private let current: Mutex<MaxMindDatabase?>
    private let fingerprint: Mutex<GeoFileFingerprint?>
    private let logger: Logger

    /// Replacements opened and swapped in / refused, since start.
    public let reloadsSucceeded = Atomic<Int>(0)
    public let reloadsFailed = Atomic<Int>(0)
    /// The last refusal's reason, while no later replacement succeeded.
    private let lastError = Mutex<String?>(nil)
    /// Lookups by result (`GeoLookup.index`).
    private let lookupsFound = Atomic<Int>(0)
    private let lookupsNotFound = Atomic<Int>(0)
    private let lookupsPrivate = Atomic<Int>(0)
    private let lookupsNoDatabase = Atomic<Int>(0)

    /// Opens the database now (blocking: at start-up, off the event loops). A file that does
    /// not open leaves the store empty with `openError` set; the gateway refuses to start when
    /// some geo rule needs it.
    public init(config: GeoConfig, logger: Logger = Logger(label: "portcullis.geo")) {
        self.config = config
        self.logger = logger
        let stamp = GeoFileFingerprint(path: config.database)
        fingerprint = Mutex(stamp)
        do {
            let database = try MaxMindDatabase(path: config.database)
            current = Mutex(database)
            logger.info("geo database opened", metadata: Self.metadata(database))
        } catch {
            current = Mutex(nil)
            lastError.withLock { $0 = error.reason }
            logger.error("geo database not opened", metadata: ["path": "\(config.database)", "error": "\(error.reason)"])
        }
    }

    /// The database in use (a strong reference: it stays open while the caller holds it).
    public var database: MaxMindDatabase? { current.withLock { $0 } }

    /// Why the database is not loaded, or why the last replacement was refused.
    public var openError: String? { lastError.withLock { $0 } }

    /// Looks `address` up in the database in use and counts the result.
    @inline(__always)
    public func lookup(_ address: IPAddress) -> GeoLookup {
        let result = database?.lookup(address) ?? .noDatabase
        switch result {
        case .found: lookupsFound.wrappingAdd(1, ordering: .relaxed)
        case .notFound: lookupsNotFound.wrappingAdd(1, ordering: .relaxed)
        case .privateAddress: lookupsPrivate.wrappingAdd(1, ordering: .relaxed)
        case .noDatabase: lookupsNoDatabase.wrappingAdd(1, ordering: .relaxed)
        }
        return result
    }

    public func lookupCount(_ label: String) -> Int {
        switch label {
        case "found": return lookupsFound.load(ordering: .relaxed)
        case "not_found": return lookupsNotFound.load(ordering: .relaxed)
        case "private": return lookupsPrivate.load(ordering: .relaxed)
        case "no_database": return lookupsNoDatabase.load(ordering: .relaxed)
        default: return 0
        }
    }

    /// Re-opens the file when its size, inode or modification time changed (blocking).
    /// - Returns: true when a new database was swapped in.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let stamp = GeoFileFingerprint(path: config.database)
        let changed = fingerprint.withLock { known in
            guard known != stamp else { return false }
            known = stamp
            return true
        }
        guard changed else { return false }
        guard stamp != nil else {
            // Removed (or mid-rename): keep serving from the mapping already open.
            logger.warning("geo database file is gone; the loaded database stays in use", metadata: ["path": "\(config.database)"])
            return false
        }
        do {
            let database = try MaxMindDatabase(path: config.database)
            let previous = current.withLock { held in
                let old = held
                held = database
                return old
            }
            reloadsSucceeded.wrappingAdd(1, ordering: .relaxed)
            lastError.withLock { $0 = nil }
            var metadata = Self.metadata(database)
            if let previous { metadata["previous.build_epoch"] = "\(previous.buildEpoch)" }
            logger.notice("geo database reloaded", metadata: metadata)
            return true
        } catch {
            reloadsFailed.wrappingAdd(1, ordering: .relaxed)
            lastError.withLock { $0 = error.reason }
            logger.error("geo database replacement refused; the previous database stays in use", metadata: ["path": "\(config.database)", "error": "\(error.reason)"])
            return false
        }
    }

    /// Polls the file every `reload_interval` until cancelled; each check runs on the thread pool.
    public func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(config.reloadInterval))
            if Task.isCancelled { return }
            _ = try? await NIOThreadPool.singleton.runIfActive { self.reloadIfChanged() }
        }
    }

    private static func metadata(_ database: MaxMindDatabase) -> Logger.Metadata {
        ["path": "\(database.path)", "type": "\(database.databaseType)", "build_epoch": "\(database.buildEpoch)", "ip_version": "\(database.ipVersion)"]
    }
}
