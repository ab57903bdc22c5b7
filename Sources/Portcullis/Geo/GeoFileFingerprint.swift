#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the database file looks like on disk without reading it (size, inode, modification
/// time): a different fingerprint means it was replaced. Nil when the file is absent.
struct GeoFileFingerprint: Equatable, Sendable {
    var size: Int64
    var inode: UInt64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    /// Blocking (`stat`): call it off the event loops.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        size = Int64(info.st_size)
        inode = UInt64(info.st_ino)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
