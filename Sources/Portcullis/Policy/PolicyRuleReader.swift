/// Reads one rule of any kind: the shared keys (`name`, `match`, `mode`) here, the kind's own
/// keys in `body`. Every problem inside the rule is reported as `rule 'NAME': …`.
enum PolicyRuleReader {
    static let commonKeys = ["name", "match", "mode"]

    /// A rule as read, problems or not (they are reported already and fail the load): so that
    /// checks across rules (reachability, inheritance) still run and report everything at once.
    struct Read<Body> {
        var common: PolicyRuleCommon
        var body: Body
        /// The name is its own and the match is valid: the rule takes part in reachability checks.
        var isComparable: Bool
        /// A key of `required` is missing (reported): the rule cannot be compiled.
        var lacksRequiredKey: Bool
    }

    /// - Parameters:
    ///   - kindKeys: the keys this kind adds to `commonKeys`.
    ///   - required: those of them a rule must have, each with what the message offers as an
    ///     example (`max_bytes: 20MiB`).
    ///   - body: reads the kind's keys from the rule's fields (reporting into the rule's scope);
    ///     always called, even when `name` or `match` have problems.
    /// - Returns: nil when the rule has no usable name (it is not a mapping, or the name is
    ///   missing or invalid); its problems are reported either way.
    static func read<Body>(
        _ item: YAMLValue,
        kindKeys: [String],
        required: [(key: String, example: String)] = [],
        context: PolicyReadContext,
        body: ([String: YAMLValue]) -> Body
    ) -> Read<Body>? {
        let scoped = context.scopedCollector()
        let rule = YAMLValue(node: item.node, file: item.file, collector: scoped, path: item.path)
        var name: String?
        defer { context.forward(scoped, ruleName: name) }

        guard let fields = rule.mapping(allowed: commonKeys + kindKeys, required: ["name", "match"]) else { return nil }
        var claimed = false
        if let nameValue = fields["name"], let text = nameValue.string() {
            if let problem = nameProblem(text) {
                nameValue.report("\(nameValue.path) \(problem)")
            } else {
                name = text
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
        let body = body(fields)
        guard let name else { return nil }
        let missing = required.filter { fields[$0.key] == nil }
        for (key, example) in missing { rule.report("\(rule.path) is missing required key '\(key)'; expected \(example)") }
        let common = PolicyRuleCommon(name: name, match: match ?? PolicyMatch(), mode: mode, location: rule.location)
        return Read(common: common, body: body, isComparable: claimed && match != nil, lacksRequiredKey: !missing.isEmpty)
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
