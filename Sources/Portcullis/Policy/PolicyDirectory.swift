import Foundation

/// Lists and reads the YAML files of a policy (or policy test) directory.
public enum PolicyDirectory {
    /// Every `*.yaml` / `*.yml` directly in `directory` (subdirectories such as `tests/` are not
    /// read), sorted by file name, named `directory/file` for diagnostics.
    public static func sources(in directory: String) throws(DiagnosticsError) -> [PolicySource] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DiagnosticsError([Diagnostic(location: SourceLocation(file: directory, line: 1, column: 1), message: "cannot read the directory; expected a directory of *.yaml policy files")])
        }
        let yamlNames = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.filter { !$0.hasPrefix(".") }.sorted()
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        var sources: [PolicySource] = []
        var problems: [Diagnostic] = []
        for name in yamlNames {
            let path = base + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if let text = DiagnosticCollector.readTextFile(path) {
                sources.append(PolicySource(file: path, text: text))
            } else {
                problems.append(Diagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the file"))
            }
        }
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        if sources.isEmpty {
            throw DiagnosticsError([Diagnostic(location: SourceLocation(file: directory, line: 1, column: 1), message: "no *.yaml or *.yml files in the directory; expected at least one")])
        }
        return sources
    }
}
