import Yams

/// Turns a Yams syntax error into a positioned diagnostic.
enum YAMLSyntax {
    static func diagnostic(for error: Error, file: String, yaml: String) -> Diagnostic {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                let position = insideText(line: mark.line, column: mark.column, yaml: yaml)
                return Diagnostic(location: SourceLocation(file: file, line: position.line, column: position.column), message: "YAML syntax error: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                let key = duplicates.sorted().first ?? ""
                let location = secondOccurrence(of: key, in: yaml, from: context.mark.line)
                    ?? SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
                return Diagnostic(location: SourceLocation(file: file, line: location.line, column: location.column), message: "duplicate key '\(key)'; each key may appear once in a mapping")
            default:
                break
            }
        }
        return Diagnostic(location: SourceLocation(file: file, line: 1, column: 1), message: "YAML syntax error: \(error)")
    }

    /// The same for a diagnostic about a node: libyaml marks an empty document (`---` without a
    /// final line break) on the line after the last (found by fuzzing).
    static func insideText(_ diagnostic: Diagnostic, yaml: String) -> Diagnostic {
        var placed = diagnostic
        let position = insideText(line: diagnostic.location.line, column: diagnostic.location.column, yaml: yaml)
        placed.location.line = position.line
        placed.location.column = position.column
        return placed
    }

    /// libyaml places an error found at the end of a text that does not end with a line break on
    /// the line after the last one (found by fuzzing): such a position becomes the end of the last line.
    static func insideText(line: Int, column: Int, yaml: String) -> (line: Int, column: Int) {
        var lines = 1
        var lastLength = 0
        var previous: Unicode.Scalar = " "
        for scalar in yaml.unicodeScalars {
            switch scalar {
            case "\n" where previous == "\r":
                break
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines += 1
                lastLength = 0
            default:
                lastLength += 1
            }
            previous = scalar
        }
        guard line > lines else { return (max(line, 1), max(column, 1)) }
        return (lines, lastLength + 1)
    }

    /// Yams reports duplicates at the mapping; the operator wants the line of the repeated key.
    private static func secondOccurrence(of key: String, in yaml: String, from startLine: Int) -> SourceLocation? {
        var occurrences: [(Int, Int)] = []
        for (index, line) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where index + 1 >= startLine {
            var column = 1
            var rest = Substring(line)
            while let first = rest.first, first == " " || first == "-" { rest.removeFirst(); column += 1 }
            for quoted in [key + ":", "\"" + key + "\":", "'" + key + "':"] where rest.hasPrefix(quoted) {
                occurrences.append((index + 1, column))
            }
            if occurrences.count >= 2 { break }
        }
        guard occurrences.count >= 2 else { return nil }
        return SourceLocation(file: "", line: occurrences[1].0, column: occurrences[1].1)
    }
}
