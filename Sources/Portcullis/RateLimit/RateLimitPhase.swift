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
    /// The shared store (Redis), when configured: the rules it serves decide asynchronously there.
    public let shared: RedisRateLimitStore?
    let clock: @Sendable () -> Int64
    private let logger: Logger

    /// - Parameters:
    ///   - store: the process's store (one for all loops and all policy snapshots, so a reload
    ///     keeps the counters of unchanged rules); also the fallback while Redis fails.
    ///   - shared: the Redis store, for rules with `store: redis` (or naming none, by default).
    ///   - clock: monotonic nanoseconds; a test passes its own.
    public init(store: RateLimitStore, shared: RedisRateLimitStore? = nil, logger: Logger = Logger(label: "portcullis.ratelimit"),
                clock: @escaping @Sendable () -> Int64 = { Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds) }) {
        self.store = store
        self.shared = shared
        self.logger = logger
        self.clock = clock
    }

    public func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        let policy = context.policies.rateLimits
        if policy.rules.isEmpty { return .proceed }
        let request = Request(method: head.method, headers: head.headers, host: context.host, target: context.target, client: context.clientAddress, requestId: context.requestId)
        return evaluate(policy, from: 0, request: request, state: &context.rateLimit, eventLoop: eventLoop, tokenResolved: false)
    }

    /// Allowed responses of a rule with `headers: true` carry `RateLimit-Policy` and `RateLimit`.
    public func responseHead(_ headers: inout HTTPHeaders, status: HTTPResponseStatus, context: RequestContext) {
        Self.addHeaders(to: &headers, state: context.rateLimit)
    }

    static func addHeaders(to headers: inout HTTPHeaders, state: RateLimitState) {
        guard let (rule, decision) = state.resolved, rule.sendsHeaders, decision.isAllowed else { return }
        headers.replaceOrAdd(name: RateLimitAnswer.policyField, value: rule.policyHeader)
        headers.replaceOrAdd(name: RateLimitAnswer.field, value: RateLimitAnswer.rateLimitValue(rule: rule, decision: decision))
    }

    /// What the phase reads of a request (copied by value into an asynchronous continuation).
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var headers: HTTPHeaders
        /// Lowercased, without port.
        public var host: String
        /// Origin-form; only the path is matched.
        public var target: String
        public var client: IPAddress
        public var requestId: String

        public init(method: HTTPMethod, headers: HTTPHeaders, host: String, target: String, client: IPAddress, requestId: String) {
            self.method = method
            self.headers = headers
            self.host = host
            self.target = target
            self.client = client
            self.requestId = requestId
        }
    }

    /// Decides a request outside the request path (`policy-test`, tests): the outcome, and what
    /// the response would carry in `state`.
    public func evaluate(_ request: Request, policy: RateLimitPolicy, state: inout RateLimitState, eventLoop: EventLoop) -> PhaseOutcome {
        evaluate(policy, from: 0, request: request, state: &state, eventLoop: eventLoop, tokenResolved: false)
    }

    func evaluate(_ policy: RateLimitPolicy, from start: Int, request: Request, state: inout RateLimitState,
                          eventLoop: EventLoop, tokenResolved: Bool) -> PhaseOutcome {
        let path = SecurityHeaderPolicy.path(of: request.target)
        let now = clock()
        var next = start
        while let index = policy.rules.nextMatch(from: next, host: request.host, path: path, method: request.method) {
            let rule = policy.rules[index]
            next = index + 1
            let isShared = shared?.serves(rule) ?? false
            let hashed: RateLimitKey
            switch key(for: rule, fingerprint: isShared ? rule.sharedFingerprint : rule.fingerprint, client: request.client, headers: request.headers, now: now) {
            case .key(let built)?:
                hashed = built
            case .unverifiedToken(let token)? where !tokenResolved:
                return verifyThenEvaluate(policy, from: index, token: token, rule: rule, request: request, state: &state, eventLoop: eventLoop)
            case .unverifiedToken?, .missing?, nil:
                // No key and no fallback: this rule does not limit the request.
                if rule.isShadow { continue }
                return .proceed
            }

            if isShared, let shared {
                return decideShared(shared, policy: policy, index: index, key: hashed, rule: rule, request: request, state: &state, eventLoop: eventLoop)
            }
            let decision = store.decide(hashed, rule: rule, now: now)
            if let outcome = apply(decision, rule: rule, request: request, state: &state) { return outcome }
        }
        return .proceed
    }

    /// Records a rule's decision in `state`; nil when the rule is a shadow (the next rules go on).
    func apply(_ decision: RateLimitDecision, rule: RateLimitRule, request: Request, state: inout RateLimitState) -> PhaseOutcome? {
        if decision.banStarted > 0 { logBan(rule: rule, decision: decision, requestId: request.requestId) }
        if rule.isShadow {
            if !decision.isAllowed {
                logShadow(rule: rule, decision: decision, requestId: request.requestId)
                state.shadowHits.append(kind: .rateLimit, rule: rule.name, outcome: .shadow)
            }
            return nil
        }
        state.rule = rule
        state.decision = decision
        if !decision.isAllowed {
            rule.limitedCount.wrappingAdd(1, ordering: .relaxed)
            return .respond(RateLimitAnswer.problem(rule: rule, decision: decision))
        }
        return .proceed
    }

    /// The rule's key, or its fallback when a part is missing; nil when neither can be built.
    @inline(__always)
    private func key(for rule: RateLimitRule, fingerprint: UInt64, client: IPAddress, headers: HTTPHeaders, now: Int64) -> RateLimitKeySpec.Outcome? {
        let outcome = rule.key.key(fingerprint: fingerprint, client: client, headers: headers, tokens: rule.tokens, now: now)
        guard case .missing = outcome else { return outcome }
        guard let fallback = rule.fallbackKey else { return nil }
        // Fallback counters are the rule's too, apart from its primary keys.
        return fallback.key(fingerprint: fingerprint ^ 0x5DEE_CE66_D1CE_F00D, client: client, headers: headers, tokens: nil, now: now)
    }

    /// A bearer token this rule has not seen: verify it off the loop, then decide from the same
    /// rule on (the shadow rules before it are already counted).
    private func verifyThenEvaluate(_ policy: RateLimitPolicy, from index: Int, token: Substring, rule: RateLimitRule, request: Request,
                                    state: inout RateLimitState, eventLoop: EventLoop) -> PhaseOutcome {
        guard let tokens = rule.tokens else { return .proceed }
        let deferred = state.deferred ?? RateLimitDeferredState()
        state.deferred = deferred
        return .pending(tokens.resolve(token, now: clock(), eventLoop: eventLoop).flatMap { [self] in
            var resumed = RateLimitState()
            resumed.deferred = deferred
            let outcome = self.evaluate(policy, from: index, request: request, state: &resumed, eventLoop: eventLoop, tokenResolved: true)
            deferred.absorb(resumed)
            // A shared store's decision may follow the token's verification.
            if case .pending(let next) = outcome { return next }
            return eventLoop.makeSucceededFuture(outcome)
        })
    }

    /// Every ban is a notice (an audit log line follows with the audit log): the rule, the kind
    /// of key (never the client's value) and how long.
    private func logBan(rule: RateLimitRule, decision: RateLimitDecision, requestId: String) {
        rule.banCount.wrappingAdd(1, ordering: .relaxed)
        logger.notice(rule.isShadow ? "shadow rate-limit rule would ban a client" : "rate-limit ban", metadata: [
            "rule": "\(rule.name)",
            "rule.mode": "\(rule.mode.rawValue)",
            "key.kind": "\(rule.key.kinds)",
            "ban.seconds": "\(decision.resetSeconds)",
            "ban.level": "\(decision.banLevel + 1)",
            "request.id": "\(requestId)",
        ])
    }

    private func logShadow(rule: RateLimitRule, decision: RateLimitDecision, requestId: String) {
        rule.limitedCount.wrappingAdd(1, ordering: .relaxed)
        logger.notice("shadow rate-limit rule would refuse", metadata: [
            "rule": "\(rule.name)",
            "key.kind": "\(rule.key.kinds)",
            "retry_after.seconds": "\(decision.resetSeconds)",
            "request.id": "\(requestId)",
        ])
    }
}
