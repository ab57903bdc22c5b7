import NIOCore

/// Decisions taken in the shared store (Redis). The request waits for the script's answer on its
/// own event loop; when Redis fails, the rule's `on_store_error` decides at once: `allow` takes
/// the decision on the in-process store instead (limits still hold, per instance), `deny`
/// answers 503. Either way the request is counted as a fallback and logged as `store_error`.
extension RateLimitPhase {
    func decideShared(_ shared: RedisRateLimitStore, policy: RateLimitPolicy, index: Int, key: RateLimitKey, rule: RateLimitRule,
                      request: Request, state: inout RateLimitState, eventLoop: EventLoop) -> PhaseOutcome {
        let deferred = state.deferred ?? RateLimitDeferredState()
        state.deferred = deferred
        let outcome = eventLoop.makePromise(of: PhaseOutcome.self)
        shared.decide(key, rule: rule, eventLoop: eventLoop).whenComplete { [self] result in
            var decision: RateLimitDecision
            switch result {
            case .success(let shared):
                decision = shared
            case .failure(let error):
                rule.storeFallbacks.record((error as? RedisError)?.reason ?? .error)
                if rule.onStoreError == .deny, !rule.isShadow {
                    var refused = RateLimitDecision(verdict: .limited, window: 0, remaining: 0, reset: 1_000_000_000)
                    refused.storeError = true
                    deferred.rule = rule
                    deferred.decision = refused
                    outcome.succeed(.respond(RateLimitAnswer.storeUnavailable(rule: rule)))
                    return
                }
                decision = store.decide(key, rule: rule, now: clock())
                decision.storeError = true
            }
            var resumed = RateLimitState()
            resumed.deferred = deferred
            let next = apply(decision, rule: rule, request: request, state: &resumed)
                ?? evaluate(policy, from: index + 1, request: request, state: &resumed, eventLoop: eventLoop, tokenResolved: false)
            deferred.absorb(resumed)
            if case .pending(let later) = next { outcome.completeWith(later) } else { outcome.succeed(next) }
        }
        return .pending(outcome.futureResult)
    }
}

extension RateLimitDeferredState {
    /// Takes what an evaluation resumed after an asynchronous step decided.
    func absorb(_ state: RateLimitState) {
        if let rule = state.rule {
            self.rule = rule
            decision = state.decision
        }
        state.shadowHits.forEach { shadowHits.append($0) }
    }
}
