import Crypto
import Foundation

/// What upload-scanning tests send and the signatures they scan with, written at run time: the
/// EICAR test string is decoded here (never committed as a file a scanner would flag), the
/// signature databases are written by the test, and archives are made with Python's zipfile.
enum ScanFixtures {
    /// The EICAR anti-virus test string (68 bytes).
    static let eicar: [UInt8] = Array(Data(base64Encoded: "WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=")!)
    /// A Windows executable ClamAV's own test suite flags (Debian `clamav-testfiles`).
    static let testExecutable = "/usr/share/clamav-testfiles/clam.exe"
    /// The smallest valid PNG (1×1, transparent).
    static let png: [UInt8] = Array(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")!)

    /// A directory with `test.ndb` (EICAR anywhere in a file) and `test.hdb` (the MD5 of `clam.exe`).
    static func signatureDirectory(in directory: URL) throws -> URL {
        let signatures = directory.appendingPathComponent("signatures")
        try FileManager.default.createDirectory(at: signatures, withIntermediateDirectories: true)
        try ndb(name: "Test.EICAR", matching: eicar).write(to: signatures.appendingPathComponent("test.ndb"), atomically: true, encoding: .utf8)
        let exe = try Data(contentsOf: URL(fileURLWithPath: testExecutable))
        try hdb(name: "Test.ClamExe", matching: [UInt8](exe)).write(to: signatures.appendingPathComponent("test.hdb"), atomically: true, encoding: .utf8)
        return signatures
    }

    /// An `.hdb` line: a file that is exactly `bytes` (its MD5 and size).
    static func hdb(name: String, matching bytes: [UInt8]) -> String {
        let md5 = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return "\(md5):\(bytes.count):\(name)\n"
    }

    /// An `.ndb` line: `bytes` anywhere in any file.
    static func ndb(name: String, matching bytes: [UInt8]) -> String {
        "\(name):0:*:\(bytes.map { String(format: "%02x", $0) }.joined())\n"
    }

    /// A zip holding `members` (name → bytes), made with Python's zipfile; `nested` wraps the
    /// archive in that many more zips.
    static func zip(_ members: [String: [UInt8]], at url: URL, nested: Int = 0) throws {
        let staging = url.deletingLastPathComponent().appendingPathComponent("zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        for (name, bytes) in members { try Data(bytes).write(to: staging.appendingPathComponent(name)) }
        let script = [
            "import os, sys, zipfile",
            "staging, target, nested = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            "inner = target + '.0'",
            "with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED) as z:",
            "    for name in sorted(os.listdir(staging)):",
            "        z.write(os.path.join(staging, name), name)",
            "for level in range(nested):",
            "    outer = target + '.' + str(level + 1)",
            "    with zipfile.ZipFile(outer, 'w', zipfile.ZIP_DEFLATED) as z:",
            "        z.write(inner, 'level%d.zip' % level)",
            "    inner = outer",
            "os.replace(inner, target)",
        ].joined(separator: "\n")
        let result = try Command.run("/usr/bin/python3", ["-c", script, staging.path, url.path, String(nested)])
        guard result.status == 0 else { throw TestFailure("zip failed: \(result.standardError)") }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The `scanner:` section for a gateway scanning with the signatures in `signatures`.
    static func scannerConfig(signatures: URL, directory: URL, extra: String = "") -> String {
        """
        scanner:
          engine: clamav
          signature_directories: [\(signatures.path)]
          system_database: false
          memory_threshold: 64KiB
          spool_directory: \(directory.path)
          reload_interval: 200ms
          quarantine: { directory: \(directory.path)/quarantine }
        \(extra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    /// An uploads rule for `/upload` (the demo's route), with the issue's default types.
    static func policy(maxBytes: String = "1MiB", extra: String = "") -> String {
        """
        uploads:
          - name: media
            match: { path: /upload }
            max_bytes: \(maxBytes)
            allow_types: [image/png, image/jpeg, image/gif, image/webp, application/pdf, application/zip, text/plain]
            show_signature: true
        \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }
}
