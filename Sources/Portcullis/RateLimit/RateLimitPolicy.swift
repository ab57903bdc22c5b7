import NIOHTTP1

/// The compiled `rate_limits:` rules in file order. The first enforcing rule that matches a
/// request limits it; shadow rules matched before it are evaluated too (counted and logged,
/// never enforced).
public final class RateLimitPolicy: Sendable {
    public let rules: [RateLimitRule]

    public init(rules: [RateLimitRule]) {
        self.rules = rules
    }

    public static let empty = RateLimitPolicy(rules: [])

    /// The enforcing rule for a request and the shadow rules matched before it (for tests and reports).
    public func select(host: String, path: Substring, method: HTTPMethod) -> (rule: RateLimitRule?, shadows: [RateLimitRule]) {
        var shadows: [RateLimitRule] = []
        for rule in rules where rule.match.matches(host: host, path: path, method: method) {
            if rule.isShadow { shadows.append(rule); continue }
            return (rule, shadows)
        }
        return (nil, shadows)
    }
}
