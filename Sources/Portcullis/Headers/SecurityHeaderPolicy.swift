import NIOHTTP1

/// The compiled `headers:` policy: the global block and the rules in file order. Immutable and
/// Sendable, so one snapshot can be shared by every event loop and swapped whole on reload.
public final class SecurityHeaderPolicy: Sendable {
    /// Applied when no rule matches (empty when no file has `headers.global`).
    public let global: HeaderActions
    /// In file order; the first enforcing rule that matches wins.
    public let rules: [HeaderRule]
    private let hasShadowRules: Bool
    /// `rules[i].match`, side by side: matched in place, without retaining each rule and the
    /// arrays inside its match for every request.
    private let matches: [PolicyMatch]
    private let shadow: [Bool]

    public init(global: HeaderActions, rules: [HeaderRule]) {
        self.global = global
        self.rules = rules
        self.hasShadowRules = rules.contains { $0.isShadow }
        self.matches = rules.map(\.match)
        self.shadow = rules.map(\.isShadow)
    }

    /// No headers policy at all: responses pass untouched.
    public static let empty = SecurityHeaderPolicy(global: .none, rules: [])

    /// Chooses the actions for a request.
    /// - Parameters:
    ///   - host: the request's host, lowercased and without port.
    ///   - target: the origin-form request target (`/path?query`); only the path is matched.
    public func select(host: String, target: String, method: HTTPMethod) -> HeaderSelection {
        let path = SecurityHeaderPolicy.path(of: target)
        var applied = -1, shadowed = -1
        matches.withUnsafeBufferPointer { matches in
            if !hasShadowRules {
                for index in 0..<matches.count where matches[index].matches(host: host, path: path, method: method) {
                    applied = index
                    return
                }
                return
            }
            shadow.withUnsafeBufferPointer { shadow in
                for index in 0..<matches.count where matches[index].matches(host: host, path: path, method: method) {
                    if shadow[index] {
                        if shadowed < 0 { shadowed = index }
                        continue
                    }
                    applied = index
                    return
                }
            }
        }
        let shadowRule = shadowed < 0 ? nil : rules[shadowed]
        if applied < 0 { return HeaderSelection(actions: global, rule: nil, shadowRule: shadowRule) }
        let rule = rules[applied]
        return HeaderSelection(actions: rule.actions, rule: rule, shadowRule: shadowRule)
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
