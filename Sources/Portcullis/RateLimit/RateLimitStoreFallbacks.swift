import Synchronization

/// How often a rule's shared store failed it, by reason (`RedisError.Reason`): each such request
/// was decided by `on_store_error` (and, under `allow`, by the in-process store). For metrics.
public final class RateLimitStoreFallbacks: Sendable {
    private let errors = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)
    private let circuitOpen = Atomic<Int>(0)

    public init() {}

    func record(_ reason: RedisError.Reason) {
        switch reason {
        case .error: errors.wrappingAdd(1, ordering: .relaxed)
        case .timeout: timeouts.wrappingAdd(1, ordering: .relaxed)
        case .circuitOpen: circuitOpen.wrappingAdd(1, ordering: .relaxed)
        }
    }

    public func count(_ reason: RedisError.Reason) -> Int {
        switch reason {
        case .error: return errors.load(ordering: .relaxed)
        case .timeout: return timeouts.load(ordering: .relaxed)
        case .circuitOpen: return circuitOpen.load(ordering: .relaxed)
        }
    }
}
