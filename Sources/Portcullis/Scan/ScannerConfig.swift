/// The operator's `scanner:` section: which engine scans uploads, where its signatures come from,
/// how far it unpacks archives, how many scans run at once, and where bodies and blocked files go.
public struct ScannerConfig: Sendable {
    public enum Engine: String, Sendable, CaseIterable {
        /// libclamav inside the gateway (the `ClamAVInProcess` trait).
        case clamav
        /// A clamd daemon reached over TCP or a unix socket.
        case clamd
    }

    public var engine = Engine.clamav
    /// Directories of `.ndb`, `.hdb`, `.cvd` … files, loaded in order; each is watched for changes.
    public var signatureDirectories: [String] = ["signatures"]
    /// Also load `/var/lib/clamav` when it holds ClamAV's official databases.
    public var systemDatabase = true
    /// clamd addresses, tried in order: the first that answers scans.
    public var clamdAddresses: [ClamdAddress] = []
    public var clamdConnectTimeout: Int64 = 2_000_000_000
    /// The longest one clamd scan may take, bytes sent included.
    public var clamdTimeout: Int64 = 30_000_000_000
    /// Idle clamd connections kept per address.
    public var clamdPoolSize = 4
    /// libclamav's limits: a file or archive member over them is not scanned (`on_scanner_error`).
    public var maxFileSize = 25 * 1024 * 1024
    public var maxScanSize = 100 * 1024 * 1024
    public var maxRecursion = 16
    public var maxFiles = 10_000
    /// Scans running at once (threads of the scan pool); more wait their turn.
    public var concurrency = 2
    /// A body beyond this many bytes is spooled to a private file in `spoolDirectory`.
    public var memoryThreshold = 1024 * 1024
    public var spoolDirectory = "/tmp"
    /// Where blocked files are kept; nil: nothing is kept, whatever the rule says.
    public var quarantineDirectory: String?
    /// The quarantine's size cap; the oldest files are evicted beyond it.
    public var quarantineMaxBytes = 1024 * 1024 * 1024
    /// How often signature directories are checked for changes.
    public var reloadInterval: Int64 = 2_000_000_000

    public init() {}
}

/// Where a clamd listens: `tcp://HOST:PORT` or `unix:/PATH`.
public enum ClamdAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public init?(_ text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { return nil }
            self = .unix(path: path)
        } else if text.hasPrefix("tcp://"), let address = HostPort(String(text.dropFirst(6))) {
            self = .tcp(host: address.host, port: address.port)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}
