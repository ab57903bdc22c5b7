import Foundation

/// Where the package and its built binaries are, for tests that run the real `portcullis` process.
enum TestPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `PORTCULLIS_BIN` if set, else the debug build `make test` produces.
    static var gatewayBinary: String {
        if let override = ProcessInfo.processInfo.environment["PORTCULLIS_BIN"] { return override }
        return packageRoot.appendingPathComponent(".build/debug/portcullis").path
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
