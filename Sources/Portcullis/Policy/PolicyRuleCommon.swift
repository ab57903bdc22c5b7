/// What every policy rule has, whatever its kind: a name, a match, a mode and where it was written.
public struct PolicyRuleCommon: Sendable, Equatable {
    public let name: String
    public let match: PolicyMatch
    public let mode: PolicyMode
    /// The start of the rule (its first key) in its file.
    public let location: SourceLocation

    public init(name: String, match: PolicyMatch, mode: PolicyMode, location: SourceLocation) {
        self.name = name
        self.match = match
        self.mode = mode
        self.location = location
    }
}
