/// The rules a builder compiled from one kind of section, in file order, with whether each can
/// be compared with the others for reachability (its match was read whole).
struct PolicyRuleList<Rule: PolicyRule> {
    private var rules: [(rule: Rule, isComparable: Bool)] = []

    mutating func append(_ rule: Rule, isComparable: Bool) {
        rules.append((rule, isComparable))
    }

    /// The rules, once those that can never match (an earlier rule covers them) are reported.
    func checked(into collector: DiagnosticCollector) -> [Rule] {
        PolicyReachability.check(rules.filter(\.isComparable).map(\.rule.common), into: collector)
        return rules.map(\.rule)
    }
}
