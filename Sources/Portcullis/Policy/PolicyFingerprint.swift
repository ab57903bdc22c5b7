#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a policy directory looks like on disk without reading it: each policy file's name,
/// size, inode and modification time. A different fingerprint means something changed (a file
/// edited, replaced by rename, added or removed); reading a few `stat`s per poll is cheap.
struct PolicyFingerprint: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var name: String
        var size: Int64
        var inode: UInt64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    var entries: [Entry]

    /// Reads the directory (blocking: call it off the event loops).
    init(directory: String) {
        var entries: [Entry] = []
        if let handle = opendir(directory) {
            defer { closedir(handle) }
            let base = directory.hasSuffix("/") ? directory : directory + "/"
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                guard !name.hasPrefix("."), name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
                var info = stat()
                guard stat(base + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                entries.append(Entry(
                    name: name, size: Int64(info.st_size), inode: UInt64(info.st_ino),
                    modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec)
                ))
            }
        }
        self.entries = entries.sorted { $0.name < $1.name }
    }
}
