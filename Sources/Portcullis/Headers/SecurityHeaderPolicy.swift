import NIOHTTP1

/// The compiled `headers:` policy: the global block and the rules in file order. Immutable and
/// Sendable, so one snapshot can be shared by every event loop and swapped whole on reload.
public final class SecurityHeaderPolicy: Sendable {
    /// Applied when no rule matches (empty when no file has `headers.global`).
    public let global: HeaderActions
    /// In file order; the first enforcing rule that matches wins.
    public let rules: [HeaderRule]
    private let hasShadowRules: Bool

    public init(global: HeaderActions, rules: [HeaderRule]) {
        self.global = global
        self.rules = rules
        self.hasShadowRules = rules.contains { $0.isShadow }
    }

    /// No headers policy at all: responses pass untouched.
    public static let empty = SecurityHeaderPolicy(global: .none, rules: [])

    /// Chooses the actions for a request.
    /// - Parameters:
    ///   - host: the request's host, lowercased and without port.
    ///   - target: the origin-form request target (`/path?query`); only the path is matched.
    public func select(host: String, target: String, method: HTTPMethod) -> HeaderSelection {
        let path = SecurityHeaderPolicy.path(of: target)
        if !hasShadowRules {
            for rule in rules where rule.match.matches(host: host, path: path, method: method) {
                return HeaderSelection(actions: rule.actions, rule: rule, shadowRule: nil)
            }
            return HeaderSelection(actions: global, rule: nil, shadowRule: nil)
        }
        var shadow: HeaderRule?
        for rule in rules where rule.match.matches(host: host, path: path, method: method) {
            if rule.isShadow {
                if shadow == nil { shadow = rule }
                continue
            }
            return HeaderSelection(actions: rule.actions, rule: rule, shadowRule: shadow)
        }
        return HeaderSelection(actions: global, rule: nil, shadowRule: shadow)
    }

    /// Selects and applies in one call; returns the selection for metrics and logs.
    @discardableResult
    public func apply(to headers: inout HTTPHeaders, host: String, target: String, method: HTTPMethod, isTLS: Bool) -> HeaderSelection {
        let selection = select(host: host, target: target, method: method)
        selection.actions.apply(to: &headers, isTLS: isTLS)
        return selection
    }

    /// The target before any `?` or `#`.
    @inline(__always)
    static func path(of target: String) -> Substring {
        if let end = target.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            return target[..<end]
        }
        return target[...]
    }
}
