/// The header actions chosen for one response, and which rule chose them (for metrics and logs).
public struct HeaderSelection: Sendable {
    /// What to apply: the first matching enforcing rule's actions, or the global block's.
    public let actions: HeaderActions
    /// The rule that matched; nil when none did and the global block applies.
    public let rule: HeaderRule?
    /// The first shadow-mode rule that matched before the applied one: it would have applied
    /// had it been enforced (log and count it, do not apply it).
    public let shadowRule: HeaderRule?

    public init(actions: HeaderActions, rule: HeaderRule?, shadowRule: HeaderRule?) {
        self.actions = actions
        self.rule = rule
        self.shadowRule = shadowRule
    }

    /// The matched rule's name, or `global`.
    public var ruleName: String { rule?.name ?? "global" }
}
