import PortcullisFuzzed

/// Checks that diagnostics point inside the text they describe.
public enum FuzzDiagnostics {
    /// `file`, a line that exists (counting every YAML line break: LF, CR, CRLF, NEL, LS, PS) and
    /// a column no further than one past the longest line.
    public static func requireInside(_ diagnostics: [Diagnostic], file: String, text: String) {
        var lines = 1
        var longest = 0
        var current = 0
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n" where previous == "\r":
                break
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines += 1
                current = 0
            default:
                current += 1
                longest = max(longest, current)
            }
            previous = scalar
        }
        var count = 0
        for diagnostic in diagnostics {
            count += 1
            FuzzDriver.require(diagnostic.location.file == file, "diagnostic names another file: \(diagnostic)")
            FuzzDriver.require((1...lines).contains(diagnostic.location.line), "line outside the input (\(lines) lines): \(diagnostic)")
            FuzzDriver.require((1...(longest + 1)).contains(diagnostic.location.column), "column outside the input (longest line \(longest)): \(diagnostic)")
        }
        FuzzDriver.require(count > 0, "refused without a diagnostic")
    }
}
