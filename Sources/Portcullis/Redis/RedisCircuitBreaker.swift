import Synchronization

/// Stops sending to Redis after `threshold` consecutive failures, so a dead or slow server costs
/// each request nothing (it falls back at once) instead of a timeout. While open, one probe at a
/// time checks Redis after a back-off that doubles up to `maxBackoff`; the first success closes
/// it. The hot path reads two atomics; the lock is taken only on failures and probes.
final class RedisCircuitBreaker: Sendable {
    private struct State {
        var reason: String?
        var backoff: Int64
        var probing = false
    }

    private let open = Atomic<Bool>(false)
    private let failures = Atomic<Int>(0)
    private let state: Mutex<State>
    let threshold: Int
    let initialBackoff: Int64
    let maxBackoff: Int64

    init(threshold: Int, backoff: Int64, maxBackoff: Int64) {
        self.threshold = threshold
        self.initialBackoff = backoff
        self.maxBackoff = maxBackoff
        state = Mutex(State(backoff: backoff))
    }

    var isOpen: Bool { open.load(ordering: .relaxed) }

    /// Why Redis is degraded (the last failure), nil while it answers.
    var degradedReason: String? {
        guard failures.load(ordering: .relaxed) > 0 || isOpen else { return nil }
        return state.withLock { $0.reason }
    }

    func recordSuccess() {
        guard failures.load(ordering: .relaxed) > 0 || isOpen else { return }
        failures.store(0, ordering: .relaxed)
        state.withLock { state in
            state.reason = nil
            state.backoff = initialBackoff
            state.probing = false
        }
        open.store(false, ordering: .relaxed)
    }

    /// Counts a failure; returns the delay of the first probe when this failure opened the
    /// circuit (the caller schedules it), nil otherwise.
    func recordFailure(_ reason: String) -> Int64? {
        let count = failures.wrappingAdd(1, ordering: .relaxed).newValue
        return state.withLock { state -> Int64? in
            state.reason = reason
            guard count >= threshold, !open.load(ordering: .relaxed), !state.probing else { return nil }
            open.store(true, ordering: .relaxed)
            state.probing = true
            return state.backoff
        }
    }

    /// A probe failed: the delay before the next one (doubled, at most `maxBackoff`); nil when
    /// the circuit closed meanwhile (a late answer to an earlier request), so no probe follows.
    func probeFailed(_ reason: String) -> Int64? {
        state.withLock { state in
            guard open.load(ordering: .relaxed) else {
                state.probing = false
                return nil
            }
            state.reason = reason
            state.backoff = min(maxBackoff, state.backoff * 2)
            return state.backoff
        }
    }
}
