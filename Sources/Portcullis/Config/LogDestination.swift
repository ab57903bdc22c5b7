/// Where a log's lines go: `stdout`, `stderr`, or a file path (appended to, created 0640 if
/// missing, reopened on request for logrotate). `off` is read as no log at all.
public enum LogDestination: Sendable, Equatable, CustomStringConvertible {
    case stdout
    case stderr
    case file(String)

    /// Parses the config's text; nil for `off`.
    public static func parse(_ text: String) -> LogDestination?? {
        switch text {
        case "off": return .some(nil)
        case "stdout": return .stdout
        case "stderr": return .stderr
        default: return text.isEmpty ? nil : .some(.file(text))
        }
    }

    public var description: String {
        switch self {
        case .stdout: return "stdout"
        case .stderr: return "stderr"
        case .file(let path): return path
        }
    }
}
