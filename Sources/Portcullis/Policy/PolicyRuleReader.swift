/// Reads one rule of any kind: the shared keys (`name`, `match`, `mode`) here, the kind's own
/// keys in `body`. Every problem inside the rule is reported as `rule 'NAME': …`.
enum PolicyRuleReader {
    static let commonKeys = ["name", "match", "mode"]

    /// - Parameters:
    ///   - kindKeys: the keys this kind adds to `commonKeys`.
    ///   - body: reads the kind's keys from the rule's fields (with the rule's scoped collector);
    ///     nil when they are unusable (already reported).
    /// - Returns: the rule, or nil when it has problems (all reported).
    static func read<Body>(
        _ item: YAMLValue,
        kindKeys: [String],
        context: PolicyReadContext,
        body: (PolicyRuleCommon, [String: YAMLValue]) -> Body?
    ) -> (common: PolicyRuleCommon, body: Body)? {
        let scoped = context.scopedCollector()
        let rule = YAMLValue(node: item.node, file: item.file, collector: scoped, path: item.path)
        var name: String?
        var result: (PolicyRuleCommon, Body)?
        defer { context.forward(scoped, ruleName: name) }

        guard let fields = rule.mapping(allowed: commonKeys + kindKeys, required: ["name", "match"]) else { return nil }
        var claimed = true
        if let nameValue = fields["name"], let text = nameValue.string() {
            if let problem = nameProblem(text) {
                nameValue.report("\(nameValue.path) \(problem)")
            } else {
                name = text
                // Claimed even when the rest of the rule has problems, so a duplicate is still reported.
                claimed = context.claim(text, at: rule.location, nameAt: nameValue.location)
            }
        }
        let match = fields["match"].flatMap(PolicyMatchReader.read)
        var mode = PolicyMode.enforce
        if let modeValue = fields["mode"], let text = modeValue.string() {
            if let parsed = PolicyMode(rawValue: text) {
                mode = parsed
            } else {
                modeValue.report("\(modeValue.path) must be one of \(PolicyMode.allCases.map(\.rawValue).joined(separator: ", ")); found '\(text)'")
            }
        }
        guard let name, let match else { return nil }
        let common = PolicyRuleCommon(name: name, match: match, mode: mode, location: rule.location)
        let body = body(common, fields)
        if let body { result = (common, body) }
        guard claimed, !scoped.hasErrors, let result else { return nil }
        return (result.0, result.1)
    }

    /// Rule names appear in metrics labels, logs and errors: keep them plain.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if PolicyReadContext.reservedNames.contains(name) { return "'\(name)' is reserved (it names the global header block); expected another name" }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        if !allowed || name.utf8.count > 64 {
            return "must be 1 to 64 letters, digits, '-', '_' or '.'; found '\(name)'"
        }
        return nil
    }
}
