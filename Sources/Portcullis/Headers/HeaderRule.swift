/// One compiled `headers.rules` entry: where it applies and what it does there.
public final class HeaderRule: Sendable {
    public let common: PolicyRuleCommon
    /// Already merged with the global block when the rule inherits.
    public let actions: HeaderActions

    public init(common: PolicyRuleCommon, actions: HeaderActions) {
        self.common = common
        self.actions = actions
    }

    public var name: String { common.name }
    public var match: PolicyMatch { common.match }
    public var mode: PolicyMode { common.mode }
}
