import NIOCore

/// What a scanner is given: bytes in memory, or a file on disk (a spooled body).
public enum ScanContent: Sendable {
    case bytes(ByteBuffer)
    case file(path: String, size: Int)

    public var size: Int {
        switch self {
        case .bytes(let buffer): return buffer.readableBytes
        case .file(_, let size): return size
        }
    }
}

/// A scanner's verdict on one file.
public enum ScanResult: Sendable, Equatable {
    case clean
    case infected(signature: String)
    /// The content was not (fully) scanned: over a size, recursion or file-count limit, or the
    /// engine failed. Never clean: the rule's `on_scanner_error` decides.
    case notScanned(reason: String)
}

/// A malware scanning engine: libclamav in process (`ClamAVEngine`) or a clamd daemon (`ClamdClient`).
/// `scan` blocks: it runs on the scan thread pool, never on an event loop.
public protocol Scanner: AnyObject, Sendable {
    /// `clamav` or `clamd`, for logs and metrics.
    var engineName: String { get }
    /// - Parameter name: the file's name, for the engine's own logs (may be nil).
    func scan(_ content: ScanContent, name: String?) -> ScanResult
    /// Stops background work (signature watching, pooled connections).
    func shutdown()
}

extension ScanResult {
    /// libclamav and clamd name a skipped file `Heuristics.Limits.Exceeded.*` when "alert exceeds
    /// max" is on: that is a file that was not scanned, not a virus and certainly not clean.
    static func fromSignature(_ name: String) -> ScanResult {
        if name.hasPrefix("Heuristics.Limits.Exceeded") { return .notScanned(reason: "over the scanner's limits (\(name))") }
        return .infected(signature: name)
    }
}
