import Logging
import NIOCore
import NIOHTTP1

/// The rate-limit phase: finds the request's rule in the policy snapshot, builds its key,
/// and asks the store. Synchronous for the local store (no allocation when the request is
/// allowed and the rule sends no headers); asynchronous only the first time a bearer token is
/// seen by a `jwt:` rule, which is verified off the loop and then remembered.
///
/// The first enforcing rule that matches decides; shadow rules matched before it are counted,
/// banned and logged exactly as if enforced, but never refuse a request or add a header.
public final class RateLimitPhase: RequestPhase {
    public let store: RateLimitStore
    private let clock: @Sendable () -> Int64
    private let logger: Logger

    /// - Parameters:
    ///   - store: the process's store (one for all loops and all policy snapshots, so a reload
    ///     keeps the counters of unchanged rules).
    ///   - clock: monotonic nanoseconds; a test passes its own.
    public init(store: RateLimitStore, logger: Logger = Logger(label: "portcullis.ratelimit"),
                clock: @escaping @Sendable () -> Int64 = { Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds) }) {
        self.store = store
        self.logger = logger
        self.clock = clock
    }

    public func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        let policy = context.policies.rateLimits
        if policy.rules.isEmpty { return .proceed }
        return evaluate(policy, from: 0, method: head.method, headers: head.headers, context: &context, eventLoop: eventLoop, tokenResolved: false)
    }

    /// Allowed responses of a rule with `headers: true` carry `RateLimit-Policy` and `RateLimit`.
    public func responseHead(_ headers: inout HTTPHeaders, status: HTTPResponseStatus, context: RequestContext) {
        guard let (rule, decision) = context.rateLimit.resolved, rule.sendsHeaders, decision.isAllowed else { return }
        headers.replaceOrAdd(name: RateLimitAnswer.policyField, value: rule.policyHeader)
        headers.replaceOrAdd(name: RateLimitAnswer.field, value: RateLimitAnswer.rateLimitValue(rule: rule, decision: decision))
    }

    /// Decides one request without the request path: for `policy-test` and tests.
    public func decide(rule: RateLimitRule, client: IPAddress, headers: HTTPHeaders) -> (decision: RateLimitDecision?, key: RateLimitKeySpec.Outcome) {
        let now = clock()
        guard let key = key(for: rule, client: client, headers: headers, now: now) else { return (nil, .missing) }
        guard case .key(let hashed) = key else { return (nil, key) }
        return (store.decide(hashed, rule: rule, now: now), key)
    }

    private func evaluate(_ policy: RateLimitPolicy, from start: Int, method: HTTPMethod, headers: HTTPHeaders, context: inout RequestContext,
                          eventLoop: EventLoop, tokenResolved: Bool) -> PhaseOutcome {
        let path = SecurityHeaderPolicy.path(of: context.target)
        let now = clock()
        var next = start
        while let index = policy.nextMatch(from: next, host: context.host, path: path, method: method) {
            let rule = policy.rules[index]
            next = index + 1
            let hashed: RateLimitKey
            switch key(for: rule, client: context.clientAddress, headers: headers, now: now) {
            case .key(let built)?:
                hashed = built
            case .unverifiedToken(let token)? where !tokenResolved:
                return verifyThenEvaluate(policy, from: index, token: token, rule: rule, method: method, headers: headers, context: &context, eventLoop: eventLoop)
            case .unverifiedToken?, .missing?, nil:
                // No key and no fallback: this rule does not limit the request.
                if rule.isShadow { continue }
                return .proceed
            }

            let decision = store.decide(hashed, rule: rule, now: now)
            if decision.banStarted > 0 { logBan(rule: rule, decision: decision, context: context) }
            if rule.isShadow {
                if !decision.isAllowed { logShadow(rule: rule, decision: decision, context: context) }
                continue
            }
            if !decision.isAllowed {
                rule.limitedCount.wrappingAdd(1, ordering: .relaxed)
                return .respond(RateLimitAnswer.problem(rule: rule, decision: decision))
            }
            if rule.sendsHeaders {
                context.rateLimit.rule = rule
                context.rateLimit.decision = decision
            }
            return .proceed
        }
        return .proceed
    }

    /// The rule's key, or its fallback when a part is missing; nil when neither can be built.
    @inline(__always)
    private func key(for rule: RateLimitRule, client: IPAddress, headers: HTTPHeaders, now: Int64) -> RateLimitKeySpec.Outcome? {
        let outcome = rule.key.key(fingerprint: rule.fingerprint, client: client, headers: headers, tokens: rule.tokens, now: now)
        guard case .missing = outcome else { return outcome }
        guard let fallback = rule.fallbackKey else { return nil }
        // Fallback counters are the rule's too, apart from its primary keys.
        return fallback.key(fingerprint: rule.fingerprint ^ 0x5DEE_CE66_D1CE_F00D, client: client, headers: headers, tokens: nil, now: now)
    }

    /// A bearer token this rule has not seen: verify it off the loop, then decide from the same
    /// rule on (the shadow rules before it are already counted).
    private func verifyThenEvaluate(_ policy: RateLimitPolicy, from index: Int, token: Substring, rule: RateLimitRule, method: HTTPMethod,
                                    headers: HTTPHeaders, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        guard let tokens = rule.tokens else { return .proceed }
        let deferred = RateLimitDeferredState()
        context.rateLimit.deferred = deferred
        var saved = context
        return .pending(tokens.resolve(token, now: clock(), eventLoop: eventLoop).map { [self] in
            let outcome = self.evaluate(policy, from: index, method: method, headers: headers, context: &saved, eventLoop: eventLoop, tokenResolved: true)
            deferred.rule = saved.rateLimit.rule
            deferred.decision = saved.rateLimit.decision
            return outcome
        })
    }

    /// Every ban is a notice (an audit log line follows with the audit log): the rule, the kind
    /// of key (never the client's value) and how long.
    private func logBan(rule: RateLimitRule, decision: RateLimitDecision, context: RequestContext) {
        rule.banCount.wrappingAdd(1, ordering: .relaxed)
        logger.notice(rule.isShadow ? "shadow rate-limit rule would ban a client" : "rate-limit ban", metadata: [
            "rule": "\(rule.name)",
            "rule.mode": "\(rule.mode.rawValue)",
            "key.kind": "\(rule.key.kinds)",
            "ban.seconds": "\(decision.resetSeconds)",
            "ban.level": "\(decision.banLevel + 1)",
            "request.id": "\(context.requestId)",
        ])
    }

    private func logShadow(rule: RateLimitRule, decision: RateLimitDecision, context: RequestContext) {
        rule.limitedCount.wrappingAdd(1, ordering: .relaxed)
        logger.notice("shadow rate-limit rule would refuse", metadata: [
            "rule": "\(rule.name)",
            "key.kind": "\(rule.key.kinds)",
            "retry_after.seconds": "\(decision.resetSeconds)",
            "request.id": "\(context.requestId)",
        ])
    }
}
