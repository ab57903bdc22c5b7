import Yams

/// Turns a Yams syntax error into a positioned diagnostic.
enum YAMLSyntax {
    static func diagnostic(for error: Error, file: String) -> Diagnostic {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                return Diagnostic(location: SourceLocation(file: file, line: mark.line, column: mark.column), message: "YAML syntax error: \(problem)")
            default:
                break
            }
        }
        return Diagnostic(location: SourceLocation(file: file, line: 1, column: 1), message: "YAML syntax error: \(error)")
    }
}
