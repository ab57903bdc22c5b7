/// What the rate-limit phase leaves in a request's context for its response: the rule that
/// limited the request and its decision, when the rule sends `RateLimit` on allowed responses.
public struct RateLimitState {
    public var rule: RateLimitRule?
    public var decision: RateLimitDecision?
    /// Set instead when the decision came asynchronously (a bearer token was verified first):
    /// the context was handed back before the answer, so the answer lands in this box.
    public var deferred: RateLimitDeferredState?
    /// Shadow rules that would have refused the request (for the access log).
    public var shadowHits = AccessLogDecisions()

    public init() {}

    /// The rule and decision, wherever they were left.
    var resolved: (rule: RateLimitRule, decision: RateLimitDecision)? {
        if let rule, let decision { return (rule, decision) }
        if let deferred, let rule = deferred.rule, let decision = deferred.decision { return (rule, decision) }
        return nil
    }
}

/// The box an asynchronous rate-limit decision writes into. Only the request's event loop
/// touches it (the future that fills it completes there, before the response is built), which
/// is why it may be marked Sendable without a lock.
public final class RateLimitDeferredState: @unchecked Sendable {
    var rule: RateLimitRule?
    var decision: RateLimitDecision?
    /// Shadow rules decided after the asynchronous step that would have refused the request.
    public internal(set) var shadowHits = AccessLogDecisions()

    init() {}
}
