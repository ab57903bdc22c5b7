/// One compiled `headers.rules` entry: where it applies and what it does there.
public final class HeaderRule: PolicyRule {
    public let common: PolicyRuleCommon
    /// Already merged with the global block when the rule inherits.
    public let actions: HeaderActions
    /// Copies of `common`'s, stored so the request path reads them without copying `common`.
    public let match: PolicyMatch
    public let isShadow: Bool

    public init(common: PolicyRuleCommon, actions: HeaderActions) {
        self.common = common
        self.actions = actions
        self.match = common.match
        self.isShadow = common.mode == .shadow
    }

    public var name: String { common.name }
    public var mode: PolicyMode { common.mode }
}
