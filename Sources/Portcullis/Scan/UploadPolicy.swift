import NIOHTTP1

/// The compiled `uploads:` rules in file order; the first rule that matches a request decides
/// how its body is checked.
public final class UploadPolicy: Sendable {
    public let rules: [UploadRule]

    public init(rules: [UploadRule]) {
        self.rules = rules
    }

    public static let empty = UploadPolicy(rules: [])

    /// The rule for a request: the first that matches.
    public func select(host: String, path: Substring, method: HTTPMethod) -> UploadRule? {
        for rule in rules where rule.match.matches(host: host, path: path, method: method) { return rule }
        return nil
    }
}
