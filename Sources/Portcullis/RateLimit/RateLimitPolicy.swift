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

    /// The index of the next rule at or after `start` that matches: a shadow rule, or the
    /// enforcing rule that ends the search. nil when none is left.
    @inline(__always)
    func nextMatch(from start: Int, host: String, path: Substring, method: HTTPMethod) -> Int? {
        var index = start
        while index < rules.count {
            if rules[index].match.matches(host: host, path: path, method: method) { return index }
            index += 1
        }
        return nil
    }

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
