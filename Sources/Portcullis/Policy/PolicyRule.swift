import NIOHTTP1

/// A compiled rule of any policy section: what every kind shares (name, match, mode), so the
/// walks over a section's rules and its builders' bookkeeping are written once.
public protocol PolicyRule: Sendable {
    var common: PolicyRuleCommon { get }
    var match: PolicyMatch { get }
    var isShadow: Bool { get }
}

extension Array where Element: PolicyRule {
    /// The index of the next rule at or after `start` that matches: a shadow rule, or the
    /// enforcing rule that ends the search. nil when none is left.
    @inline(__always)
    func nextMatch(from start: Int, host: String, path: Substring, method: HTTPMethod) -> Int? {
        var index = start
        while index < count {
            if self[index].match.matches(host: host, path: path, method: method) { return index }
            index += 1
        }
        return nil
    }
}
