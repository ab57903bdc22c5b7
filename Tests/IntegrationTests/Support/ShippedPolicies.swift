import Foundation

/// The policy files in the repository's `policies/` (what `make run` loads), by file name.
enum ShippedPolicies {
    /// - Parameter geo: include geo.yaml, whose rules need a `geo:` database in the config (the
    ///   gateway refuses to start without one).
    static func files(geo: Bool = false) throws -> [String: String] {
        let directory = TestPaths.packageRoot.appendingPathComponent("policies")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".yaml") && (geo || name != "geo.yaml") {
            files[name] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }
}
