import Crypto
import Foundation
import NIOCore
import Synchronization

/// Keeps blocked files aside for the security team: `<sha256>` (the bytes, mode 0600) and
/// `<sha256>.json` (what, when, from whom, why). The directory has a size cap: the oldest files
/// are evicted beyond it (counted). Blocking: called on the scan pool.
public final class Quarantine: Sendable {
    public struct Record: Sendable {
        public var time: Date
        public var requestId: String
        public var client: String
        public var route: String
        public var rule: String
        /// The signature, or why the file was refused (`type application/x-elf not allowed`).
        public var reason: String
        public var fileName: String?
        public var size: Int
    }

    public let directory: String
    public let maxBytes: Int
    private let evictions = Atomic<Int>(0)
    private let stored = Atomic<Int>(0)
    private let lock = Mutex(())

    public init(directory: String, maxBytes: Int) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    public var evictedCount: Int { evictions.load(ordering: .relaxed) }
    public var storedCount: Int { stored.load(ordering: .relaxed) }

    /// Stores the file; returns its SHA-256 (hex) and path, or nil when it could not be written.
    public func keep(_ content: ScanContent, record: Record) -> (sha256: String, path: String)? {
        guard let bytes = Self.read(content) else { return nil }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let path = directory + "/" + digest
        var json: [String: Any] = [
            "time": ISO8601DateFormatter().string(from: record.time), "request_id": record.requestId, "client": record.client,
            "route": record.route, "rule": record.rule, "reason": record.reason, "size": record.size, "sha256": digest,
        ]
        if let name = record.fileName { json["file_name"] = name }
        guard let metadata = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]) else { return nil }
        return lock.withLock { _ in
            guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]),
                FileManager.default.createFile(atPath: path + ".json", contents: metadata + Data("\n".utf8), attributes: [.posixPermissions: 0o600])
            else { return nil }
            stored.wrappingAdd(1, ordering: .relaxed)
            evictBeyondCap(keeping: digest)
            return (digest, path)
        }
    }

    private static func read(_ content: ScanContent) -> Data? {
        switch content {
        case .bytes(let buffer): return Data(buffer.readableBytesView)
        case .file(let path, _): return FileManager.default.contents(atPath: path)
        }
    }

    /// Oldest first until the directory is within its cap (the file just kept is never evicted).
    private func evictBeyondCap(keeping newest: String) {
        let files = FileManager.default
        guard let names = try? files.contentsOfDirectory(atPath: directory) else { return }
        var entries: [(name: String, size: Int, modified: Date)] = []
        var total = 0
        for name in names where !name.hasSuffix(".json") {
            guard let attributes = try? files.attributesOfItem(atPath: directory + "/" + name) else { continue }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            total += size
            entries.append((name, size, attributes[.modificationDate] as? Date ?? .distantPast))
        }
        guard total > maxBytes else { return }
        for entry in entries.sorted(by: { $0.modified < $1.modified }) where entry.name != newest {
            try? files.removeItem(atPath: directory + "/" + entry.name)
            try? files.removeItem(atPath: directory + "/" + entry.name + ".json")
            evictions.wrappingAdd(1, ordering: .relaxed)
            total -= entry.size
            if total <= maxBytes { return }
        }
    }
}
