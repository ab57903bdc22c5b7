/// Collects diagnostics while a YAML document is read, and resolves `${NAME}` / `${file:PATH}` references.
/// Loading never stops at the first problem: every reader reports into one collector.
public final class DiagnosticCollector {
    public private(set) var diagnostics: [Diagnostic] = []
    let environment: [String: String]
    let readFile: (String) -> String?

    public init(
        environment: [String: String],
        readFile: @escaping (String) -> String? = DiagnosticCollector.readTextFile
    ) {
        self.environment = environment
        self.readFile = readFile
    }

    public func report(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(location: location, message: message))
    }

    public var hasErrors: Bool { !diagnostics.isEmpty }

    /// Reads a secret file; a single trailing newline (as editors add) is not part of the value.
    public static func readTextFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        // fopen succeeds on a directory; a secret that is a directory must not read as empty.
        var info = stat()
        guard fstat(fileno(file), &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 {
                if ferror(file) != 0 { return nil }
                break
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
