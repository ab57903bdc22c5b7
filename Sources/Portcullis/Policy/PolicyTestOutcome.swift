/// The result of one policy test case: every difference between what was expected and what the
/// compiled policy did, each a line like `Server: expected absent, got "demo"`.
public struct PolicyTestOutcome: Sendable {
    public var name: String
    public var location: SourceLocation
    public var differences: [String]

    public var passed: Bool { differences.isEmpty }
}
