import Foundation

/// The policy files in the repository's `policies/` (what `make run` loads), by file name.
enum ShippedPolicies {
    static func files() throws -> [String: String] {
        let directory = TestPaths.packageRoot.appendingPathComponent("policies")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".yaml") {
            files[name] = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }
}
