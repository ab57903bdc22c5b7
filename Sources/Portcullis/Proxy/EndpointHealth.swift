import NIOCore
import Synchronization

/// Passive health of one upstream endpoint, shared by every event loop: consecutive failures eject
/// it for a back-off that doubles while it keeps failing; the first success after an ejection
/// restores it. Reads on the hot path are single relaxed atomic loads.
public final class EndpointHealth: Sendable {
    public let name: String
    public let address: SocketAddress
    private let maxFailures: Int
    private let ejectionBase: Int64
    private let ejectionMax: Int64
    private let consecutiveFailures = Atomic<Int>(0)
    private let ejectionCount = Atomic<Int>(0)
    private let ejectedUntil = Atomic<UInt64>(0)
    /// Every ejection since start (for metrics; rare, so the shared counter costs nothing).
    private let totalEjections = Atomic<Int>(0)

    init(name: String, address: SocketAddress, maxFailures: Int, ejectionBase: Int64, ejectionMax: Int64) {
        self.name = name
        self.address = address
        self.maxFailures = maxFailures
        self.ejectionBase = ejectionBase
        self.ejectionMax = ejectionMax
    }

    public var ejections: Int { totalEjections.load(ordering: .relaxed) }

    public func isAvailable(now: UInt64) -> Bool {
        ejectedUntil.load(ordering: .relaxed) <= now
    }

    /// An answer proves the endpoint alive: failures, probation and any running ejection end.
    func recordSuccess() {
        if consecutiveFailures.load(ordering: .relaxed) != 0 { consecutiveFailures.store(0, ordering: .relaxed) }
        if ejectionCount.load(ordering: .relaxed) != 0 {
            ejectionCount.store(0, ordering: .relaxed)
            ejectedUntil.store(0, ordering: .relaxed)
        }
    }

    /// Returns true when this failure ejected the endpoint.
    @discardableResult
    func recordFailure(now: UInt64) -> Bool {
        let failures = consecutiveFailures.wrappingAdd(1, ordering: .relaxed).newValue
        let previousEjections = ejectionCount.load(ordering: .relaxed)
        // After an ejection the endpoint is on probation: one more failure ejects it again, for longer.
        guard failures >= maxFailures || previousEjections > 0 else { return false }
        let shift = min(previousEjections, 20)
        let (scaled, overflow) = ejectionBase.multipliedReportingOverflow(by: Int64(1) << shift)
        let duration = overflow ? ejectionMax : min(ejectionMax, scaled)
        ejectedUntil.store(now + UInt64(max(duration, 0)), ordering: .relaxed)
        ejectionCount.store(previousEjections + 1, ordering: .relaxed)
        consecutiveFailures.store(0, ordering: .relaxed)
        totalEjections.wrappingAdd(1, ordering: .relaxed)
        return true
    }
}
