/// State shared while every policy file is read: the one diagnostic collector, and the rule
/// names already taken (names are unique across files and kinds: metrics and logs use them).
final class PolicyReadContext {
    let collector: DiagnosticCollector
    private(set) var ruleNames: [String: SourceLocation] = [:]

    /// Names a rule may not take: `global` is how the global header block is reported.
    static let reservedNames: Set<String> = ["global"]

    init(collector: DiagnosticCollector) {
        self.collector = collector
    }

    /// A collector for one rule's problems, forwarded with the rule's name once it is known.
    func scopedCollector() -> DiagnosticCollector {
        DiagnosticCollector(environment: collector.environment, readFile: collector.readFile)
    }

    /// Copies a rule's problems into the main collector as `rule 'NAME': …` (no prefix while
    /// the rule has no usable name).
    func forward(_ scoped: DiagnosticCollector, ruleName: String?) {
        let prefix = ruleName.map { "rule '\($0)': " } ?? ""
        for diagnostic in scoped.diagnostics {
            collector.report(diagnostic.location, prefix + diagnostic.message)
        }
    }

    /// Records a rule name; a second use is reported at the second, naming the first.
    /// - Returns: false when the name was taken.
    func claim(_ name: String, at location: SourceLocation, nameAt nameLocation: SourceLocation) -> Bool {
        if let first = ruleNames[name] {
            collector.report(nameLocation, "rule '\(name)': the name is already used by the rule at \(first.file):\(first.line); expected rule names unique across all policy files")
            return false
        }
        ruleNames[name] = location
        return true
    }
}
