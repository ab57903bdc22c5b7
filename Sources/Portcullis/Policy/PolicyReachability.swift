/// First match wins within a kind, so a rule whose every possible request is already taken by an
/// earlier enforcing rule of the same kind never applies: almost always a mistake in ordering.
enum PolicyReachability {
    /// Reports each unreachable rule at its start, naming the first earlier rule that covers it.
    /// Shadow-mode rules do not stop matching, so they never make a later rule unreachable.
    static func check(_ rules: [PolicyRuleCommon], into collector: DiagnosticCollector) {
        for (index, rule) in rules.enumerated() {
            for earlier in rules[..<index] where earlier.mode == .enforce && rule.match.isCovered(by: earlier.match) {
                collector.report(rule.location, "rule '\(rule.name)': unreachable: rule '\(earlier.name)' at \(earlier.location.file):\(earlier.location.line) already matches everything this rule matches; expected it before '\(earlier.name)' or a narrower match on '\(earlier.name)'")
                break
            }
        }
    }
}
