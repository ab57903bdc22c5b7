import Synchronization

/// Start-up and shutdown milestones that `/readyz` reports.
final class Readiness: Sendable {
    private let listening = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    var isListening: Bool { listening.load(ordering: .relaxed) && !draining.load(ordering: .relaxed) }
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func markListening() { listening.store(true, ordering: .relaxed) }
    func markDraining() { draining.store(true, ordering: .relaxed) }
}

/// What `/readyz` answers: ready, or 503 with every reason it is not.
struct ReadinessReport {
    var ready: Bool
    var reasons: [String]
    /// Working, but not fully: e.g. Redis is down and rate limits are decided per instance.
    var degraded: [String] = []
}
