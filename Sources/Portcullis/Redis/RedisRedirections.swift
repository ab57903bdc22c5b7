import Synchronization

/// Redirections a Redis Cluster answered and the client followed, for metrics.
public final class RedisRedirections: Sendable {
    /// `MOVED`: the slot has a new master (the slot map is refreshed).
    public let moved = Atomic<Int>(0)
    /// `ASK`: one command sent to the node importing a migrating slot.
    public let ask = Atomic<Int>(0)

    public init() {}
}
