import NIOCore

/// A request body read whole before anything is forwarded (for a phase that must see it: upload
/// scanning): in memory, or spooled to a private file when it outgrew the memory threshold.
public struct RequestBody: Sendable {
    /// The body when it stayed in memory.
    public var memory: ByteBuffer?
    /// The spooled file (mode 0600, deleted when the exchange is done).
    public var spoolPath: String?
    public var size: Int

    public init(memory: ByteBuffer?, spoolPath: String?, size: Int) {
        self.memory = memory
        self.spoolPath = spoolPath
        self.size = size
    }

    /// The body as a scanner takes it.
    public var content: ScanContent {
        if let spoolPath { return .file(path: spoolPath, size: size) }
        return .bytes(memory ?? ByteBuffer())
    }
}
