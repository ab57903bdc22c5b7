import NIOHTTP1

/// The compiled `cors:` rules in file order; the first enforcing rule that matches applies.
public final class CORSPolicy: Sendable {
    public let rules: [CORSRule]

    public init(rules: [CORSRule]) {
        self.rules = rules
    }

    public static let empty = CORSPolicy(rules: [])

    /// What the policy makes of a request: the rule that applies (nil: no rule covers it, and the
    /// decision is `notCrossOrigin`), its decision, and the first shadow rule matched before it.
    public func evaluate(_ request: CORSDecision.Request, host: String, path: Substring) -> (rule: CORSRule?, decision: CORSDecision, shadow: CORSRule?) {
        let (rule, shadow) = select(host: host, path: path, method: request.matchedMethod)
        guard let rule else { return (nil, .notCrossOrigin, shadow) }
        return (rule, CORSDecision.decide(request, rule: rule), shadow)
    }

    /// The rule that applies, and the first shadow rule matched before it (evaluated and
    /// logged, never enforced).
    public func select(host: String, path: Substring, method: HTTPMethod) -> (rule: CORSRule?, shadow: CORSRule?) {
        var shadow: CORSRule?
        for rule in rules where rule.match.matches(host: host, path: path, method: method) {
            if rule.isShadow {
                if shadow == nil { shadow = rule }
                continue
            }
            return (rule, shadow)
        }
        return (nil, shadow)
    }
}
