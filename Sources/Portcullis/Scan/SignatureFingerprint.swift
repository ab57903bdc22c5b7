import Foundation

/// The names, sizes and modification times of the signature files in some directories: when it
/// changes, the signatures are compiled again.
struct SignatureFingerprint: Equatable, Sendable {
    private var entries: [String]

    /// Blocking (reads directories).
    init(directories: [String]) {
        var entries: [String] = []
        let files = FileManager.default
        for directory in directories {
            let names = (try? files.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() {
                let path = directory + "/" + name
                guard let attributes = try? files.attributesOfItem(atPath: path) else { continue }
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                entries.append("\(path)\u{0}\(size)\u{0}\(modified)")
            }
        }
        self.entries = entries
    }

    /// ClamAV's official databases (`main`, `daily`, as .cvd or .cld) are there.
    static func holdsOfficialDatabase(_ directory: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.contains { $0.hasPrefix("main.") || $0.hasPrefix("daily.") }
    }
}
