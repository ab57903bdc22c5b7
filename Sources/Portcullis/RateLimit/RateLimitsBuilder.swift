/// Reads the `rate_limits:` sections of every policy file (each a list of rules, in file order)
/// and compiles them, reporting every problem into the shared collector.
final class RateLimitsBuilder {
    static let ruleKeys = ["key", "fallback_key", "limits", "penalty", "headers", "on_store_error", "store", "jwt"]
    static let limitKeys = ["requests", "per"]
    static let penaltyKeys = ["after_violations", "within", "ban", "growth", "max_ban", "forget_after"]
    static let jwtKeys = ["algorithm", "secret", "public_key", "jwks"]
    static let maximumRequests = 100_000_000
    static let shortestWindow: Int64 = 1_000_000_000
    static let longestWindow: Int64 = 30 * 86_400_000_000_000
    static let keyForms = "ip, ip/24, ip6/64, header:NAME, cookie:NAME or jwt:CLAIM, or parts joined by '+'"

    private let context: PolicyReadContext
    private var rules = PolicyRuleList<RateLimitRule>()

    init(context: PolicyReadContext) {
        self.context = context
    }

    /// Reads one file's `rate_limits:` section.
    func add(_ section: YAMLValue) {
        guard let items = section.sequence() else { return }
        for item in items {
            let read = PolicyRuleReader.read(
                item, kindKeys: Self.ruleKeys, required: [("limits", "limits: [5/1m] or [{ requests: 5, per: 1m }]")], context: context, body: Self.readBody
            )
            guard let read, let body = read.body, !read.lacksRequiredKey else { continue }
            let windows = body.limits.map { limit in
                RateLimitWindow(requests: limit.requests, length: limit.length, policyName: body.limits.count == 1 ? read.common.name : "\(read.common.name)-\(limit.label)")
            }
            let rule = RateLimitRule(
                common: read.common, key: body.key, fallbackKey: body.fallback, windows: windows, penalty: body.penalty,
                sendsHeaders: body.headers, onStoreError: body.onStoreError, tokens: body.jwt.map { JWTClaimVerifier(key: $0) }, store: body.store
            )
            rules.append(rule, isComparable: read.isComparable)
        }
    }

    func build() -> RateLimitPolicy {
        RateLimitPolicy(rules: rules.checked(into: context.collector))
    }

    private struct Limit {
        var requests: Int
        var length: Int64
        /// The window as written (`1s`), for the policy names of a multi-window rule.
        var label: String
    }

    private struct Body {
        var key = RateLimitKeySpec(parts: [.address])
        var fallback: RateLimitKeySpec? = RateLimitKeySpec(parts: [.address])
        var limits: [Limit] = []
        var penalty: RateLimitPenalty?
        var headers = false
        var onStoreError = RateLimitRule.StoreErrorAction.allow
        var jwt: JWTKeyMaterial?
        var store: RateLimitStoreChoice?
    }

    /// nil when something is wrong (reported already) or a required key is missing (reported by the caller).
    private static func readBody(_ fields: [String: YAMLValue]) -> Body? {
        var body = Body()
        var ok = true
        if let value = fields["key"], let text = value.string() {
            switch RateLimitKeySpec.parse(text.trimmingWhitespace(), path: value.path) {
            case .success(let spec): body.key = spec
            case .failure(let error): value.report(error.message); ok = false
            }
        } else if fields["key"] != nil {
            ok = false
        }
        if let value = fields["fallback_key"], let text = value.string() {
            if text == "none" {
                body.fallback = nil
            } else {
                switch RateLimitKeySpec.parse(text.trimmingWhitespace(), path: value.path) {
                case .success(let spec) where spec.parts.allSatisfy(\.isAddress):
                    body.fallback = spec
                case .success:
                    value.report("\(value.path) is '\(text)', which a request can lack too; expected ip, ip/N or ip6/N (always present), or none to leave such requests unlimited")
                    ok = false
                case .failure(let error):
                    value.report(error.message)
                    ok = false
                }
            }
        } else if fields["fallback_key"] != nil {
            ok = false
        }
        if let value = fields["limits"] {
            if let limits = readLimits(value) { body.limits = limits } else { ok = false }
        }
        if let value = fields["penalty"] {
            if let penalty = readPenalty(value, longestWindow: body.limits.map(\.length).max() ?? 60_000_000_000) { body.penalty = penalty } else { ok = false }
        }
        if let value = fields["headers"] {
            if let flag = value.bool() { body.headers = flag } else { ok = false }
        }
        if let value = fields["on_store_error"], let text = value.string() {
            if let action = RateLimitRule.StoreErrorAction(rawValue: text) {
                body.onStoreError = action
            } else {
                value.report("\(value.path) must be allow (fail open) or deny (fail closed); found '\(text)'")
                ok = false
            }
        } else if fields["on_store_error"] != nil {
            ok = false
        }
        if let value = fields["store"], let text = value.string() {
            if let choice = RateLimitStoreChoice(rawValue: text) {
                body.store = choice
            } else {
                value.report("\(value.path) must be redis (shared by every instance) or local (this process only); found '\(text)'")
                ok = false
            }
        } else if fields["store"] != nil {
            ok = false
        }
        let usesToken = ok && body.key.usesToken
        if let value = fields["jwt"] {
            if !body.key.usesToken {
                if fields["key"] != nil, ok { value.report("\(value.path) is set but the key has no jwt: part; expected a key like jwt:sub, or no jwt block") }
                ok = false
            } else if let key = readJWT(value) {
                body.jwt = key
            } else {
                ok = false
            }
        } else if usesToken, let keyValue = fields["key"] {
            keyValue.report("\(keyValue.path) uses a jwt: part but the rule has no jwt block; expected jwt: { algorithm: HS256, secret: \"${JWT_SECRET}\" } (or public_key, or jwks) to verify tokens with")
            ok = false
        }
        return ok ? body : nil
    }

    /// `[5/1m]`, `[2/1s, 3/1h]` or `[{ requests: 5, per: 1m }]`.
    private static func readLimits(_ value: YAMLValue) -> [Limit]? {
        guard let items = value.sequence() else { return nil }
        guard !items.isEmpty else {
            value.report("\(value.path) must list at least one limit; expected like [5/1m]")
            return nil
        }
        var limits: [Limit] = []
        var ok = true
        for item in items {
            guard let limit = readLimit(item) else { ok = false; continue }
            if let same = limits.first(where: { $0.length == limit.length }) {
                item.report("\(item.path) is a second limit per \(limit.label) (the first is \(same.requests)/\(same.label)); expected one limit per window length")
                ok = false
                continue
            }
            limits.append(limit)
        }
        if ok, limits.count > RateLimitRule.maximumWindows {
            items[RateLimitRule.maximumWindows].report("\(value.path) has \(limits.count) limits; expected at most \(RateLimitRule.maximumWindows) per rule")
            ok = false
        }
        return ok ? limits.sorted { $0.length < $1.length } : nil
    }

    private static func readLimit(_ item: YAMLValue) -> Limit? {
        if item.isScalar {
            guard let text = item.string() else { return nil }
            let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard pieces.count == 2 else {
                item.report("\(item.path) is '\(text)'; expected REQUESTS/WINDOW like 5/1m or 2/1s")
                return nil
            }
            let countText = pieces[0].trimmingWhitespace(), windowText = pieces[1].trimmingWhitespace()
            guard let requests = Int(countText), (1...maximumRequests).contains(requests), countText.allSatisfy(\.isNumber) else {
                item.report("\(item.path) is '\(text)'; expected REQUESTS/WINDOW like 5/1m, where REQUESTS is a whole number from 1 to \(maximumRequests)")
                return nil
            }
            guard let length = window(windowText) else {
                item.report("\(item.path) is '\(text)'; expected REQUESTS/WINDOW like 5/1m, where WINDOW is a duration from 1s to 30d")
                return nil
            }
            return Limit(requests: requests, length: length, label: windowText)
        }
        guard let fields = item.mapping(allowed: limitKeys, required: limitKeys) else { return nil }
        let requests = fields["requests"]?.int(in: 1...maximumRequests)
        var length: Int64?
        var label = ""
        if let perValue = fields["per"], let text = perValue.string() {
            label = text.trimmingWhitespace()
            length = window(label)
            if length == nil { perValue.report("\(perValue.path) must be a duration from 1s to 30d, like 1s, 1m or 1h; found '\(text)'") }
        }
        guard let requests, let length else { return nil }
        return Limit(requests: requests, length: length, label: label)
    }

    private static func window(_ text: String) -> Int64? {
        guard let length = Units.parseDuration(text), (shortestWindow...longestWindow).contains(length) else { return nil }
        return length
    }

    private static func readPenalty(_ value: YAMLValue, longestWindow: Int64) -> RateLimitPenalty? {
        guard let fields = value.mapping(allowed: penaltyKeys, required: ["after_violations", "ban"]) else { return nil }
        let after = fields["after_violations"]?.int(in: 1...1_000_000)
        let ban = fields["ban"]?.durationNanoseconds(atLeast: 1_000_000_000)
        let within = fields["within"].map { $0.durationNanoseconds(atLeast: 1_000_000_000) } ?? longestWindow
        let growth = fields["growth"].map { $0.int(in: 1...16) } ?? 2
        let maxBan = fields["max_ban"].map { $0.durationNanoseconds(atLeast: 1_000_000_000) }
        let forget = fields["forget_after"].map { $0.durationNanoseconds(atLeast: 1_000_000_000) }
        guard let after, let ban, let within, let growth, maxBan != .some(nil), forget != .some(nil) else { return nil }
        if let maxBan = maxBan ?? nil, maxBan < ban {
            fields["max_ban"]?.report("\(fields["max_ban"]!.path) is shorter than ban (\(Units.formatDuration(ban))); expected at least the first ban")
            return nil
        }
        return RateLimitPenalty(afterViolations: after, within: within, ban: ban, growth: growth, maxBan: maxBan ?? nil, forgetAfter: forget ?? nil)
    }

    static func readJWT(_ value: YAMLValue) -> JWTKeyMaterial? {
        guard let fields = value.mapping(allowed: jwtKeys) else { return nil }
        var texts: [String: String] = [:]
        for key in jwtKeys {
            guard let field = fields[key] else { continue }
            guard let text = field.string() else { return nil }
            texts[key] = text
        }
        switch JWTKeyMaterial.make(algorithm: texts["algorithm"], secret: texts["secret"], publicKey: texts["public_key"], jwks: texts["jwks"]) {
        case .success(let key):
            return key
        case .failure(let error):
            (error.field.flatMap { fields[$0] } ?? fields["algorithm"] ?? value).report("\(value.path) \(error.message)")
            return nil
        }
    }
}
