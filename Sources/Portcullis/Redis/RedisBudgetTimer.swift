import NIOCore

/// Fails the Redis requests of one event loop that are still waiting when their budget runs out.
/// Every request on a loop gets the same budget, so deadlines come in the order requests start:
/// one queue and one scheduled task at its oldest deadline replace a timer per request (each of
/// which would take the loop's task lock twice and allocate a task and a promise). Requests that
/// were answered stay queued until their deadline; failing them then does nothing, since a
/// promise completes once. Confined to its event loop.
final class RedisBudgetTimer {
    private let loop: EventLoop
    private let budget: TimeAmount
    private var waiting = CircularBuffer<(deadline: NIODeadline, expire: () -> Void)>(initialCapacity: 64)
    private var armed = false

    init(loop: EventLoop, budget: TimeAmount) {
        self.loop = loop
        self.budget = budget
    }

    /// Calls `expire` once the budget from now has passed (unless the loop shuts down first).
    func watch(_ expire: @escaping () -> Void) {
        let deadline = NIODeadline.now() + budget
        waiting.append((deadline, expire))
        if !armed { arm(at: deadline) }
    }

    private func arm(at deadline: NIODeadline) {
        armed = true
        loop.assumeIsolated().scheduleTask(deadline: deadline) { self.expireDue() }
    }

    private func expireDue() {
        armed = false
        let now = NIODeadline.now()
        while let first = waiting.first, first.deadline <= now {
            waiting.removeFirst().expire()
        }
        if let first = waiting.first { arm(at: first.deadline) }
    }
}
