/// The header fields and the 429 answer of a rate-limit decision, in the syntax of
/// draft-ietf-httpapi-ratelimit-headers (-10/-11): `RateLimit-Policy` lists each quota policy
/// as a quoted name with `q` (quota) and `w` (window, seconds), and `RateLimit` reports one of
/// them with `r` (remaining) and `t` (seconds until more quota is available, or until it is
/// whole again):
///
///     RateLimit-Policy: "login";q=5;w=60
///     RateLimit: "login";r=0;t=42
enum RateLimitAnswer {
    static let policyField = "RateLimit-Policy"
    static let field = "RateLimit"

    /// `"login";r=3;t=60`: the only string built per request, and only for rules with `headers: true`.
    static func rateLimitValue(rule: RateLimitRule, decision: RateLimitDecision) -> String {
        let window = rule.windows[decision.window]
        return window.remainingPrefix + String(max(0, decision.remaining)) + ";t=" + String(decision.resetSeconds)
    }

    /// The 429 problem: `Retry-After` (seconds, rounded up, so a client that honours it is never
    /// early), both RateLimit fields, and a detail naming the rule and the limit.
    static func problem(rule: RateLimitRule, decision: RateLimitDecision) -> ProblemResponse {
        let window = rule.windows[decision.window]
        let retry = decision.resetSeconds
        let detail: String
        if decision.banStarted > 0 {
            detail = "too many requests refused under rule '\(rule.name)'; banned for \(retry) s"
        } else if decision.verdict == .banned {
            detail = "banned under rule '\(rule.name)' after repeated violations; retry after \(retry) s"
        } else {
            detail = "over the limit of rule '\(rule.name)' (\(window.requests) per \(Units.formatDuration(window.length))); retry after \(retry) s"
        }
        return ProblemResponse(status: .tooManyRequests, slug: "rate-limited", detail: detail, extraHeaders: [
            ("Retry-After", String(retry)),
            (policyField, rule.policyHeader),
            (field, window.remainingPrefix + "0;t=" + String(retry)),
        ])
    }

    /// The 503 of a rule with `on_store_error: deny` while the shared store fails.
    static func storeUnavailable(rule: RateLimitRule) -> ProblemResponse {
        ProblemResponse(status: .serviceUnavailable, slug: "rate-limit-store-unavailable",
                        detail: "the shared rate-limit store is unavailable and rule '\(rule.name)' fails closed; retry shortly",
                        extraHeaders: [("Retry-After", "1")])
    }
}
