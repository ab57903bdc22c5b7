/// Every policy kind, compiled from one directory of policy files: the immutable snapshot a
/// request uses from start to finish (a reload publishes a new one).
public final class PolicySet: Sendable {
    public let headers: SecurityHeaderPolicy
    /// The files it was read from, in the order rules were taken from them.
    public let files: [String]

    public init(headers: SecurityHeaderPolicy, files: [String]) {
        self.headers = headers
        self.files = files
    }

    /// No policies: responses pass untouched.
    public static let empty = PolicySet(headers: .empty, files: [])

    /// Every rule name of every kind, in file order (for policy tests and reports).
    public var ruleNames: [String] { headers.rules.map(\.name) }
}
