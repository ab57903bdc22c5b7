import Synchronization

/// The in-process rate-limit store: shared by every event loop of the process, split into
/// shards each behind its own small lock (no global lock: two loops contend only when their
/// keys land in the same shard), and bounded: at most `capacity` keys, the stalest evicted
/// first when a shard is full, idle keys freed as new ones arrive (and by `expireIdleKeys`).
/// An attacker rotating keys therefore costs a fixed amount of memory, never more.
public final class RateLimitStore: Sendable {
    /// Padded to its own allocation, so two shards' locks never share a cache line.
    private final class Shard: Sendable {
        let state: Mutex<RateLimitShard>
        init(capacity: Int) { state = Mutex(RateLimitShard(capacity: capacity)) }
    }

    private let shards: [Shard]
    private let mask: Int
    /// The most keys tracked at once (`shardCount × keys per shard`).
    public let capacity: Int

    /// - Parameters:
    ///   - capacity: keys tracked at most, across all rules (about 170 bytes each when full).
    ///   - shardCount: rounded up to a power of two.
    public init(capacity: Int = 100_000, shardCount: Int = 64) {
        var count = 1
        while count < max(1, shardCount) { count <<= 1 }
        let perShard = max(1, (capacity + count - 1) / count)
        shards = (0..<count).map { _ in Shard(capacity: perShard) }
        mask = count - 1
        self.capacity = perShard * count
    }

    /// Decides a request of `rule` keyed by `key` at `now` (monotonic nanoseconds), and counts
    /// it if it is allowed. Takes one shard's lock for a few dozen nanoseconds.
    @inline(__always)
    public func decide(_ key: RateLimitKey, rule: RateLimitRule, now: Int64) -> RateLimitDecision {
        shards[key.shard(mask: mask)].state.withLock { shard in
            shard.decide(key, windows: rule.limits, penalty: rule.penalty, longestWindow: rule.longestWindow, now: now)
        }
    }

    /// Frees every idle key; returns how many (call it now and then, off the hot path).
    @discardableResult
    public func expireIdleKeys(now: Int64) -> Int {
        shards.reduce(0) { sum, shard in sum + shard.state.withLock { $0.expireAll(now: now) } }
    }

    /// Keys tracked now (for metrics: the gauge beside `capacity`).
    public var trackedKeys: Int { shards.reduce(0) { $0 + $1.state.withLock(\.count) } }
    /// Live keys dropped because their shard was full (for metrics; a rising count means the
    /// capacity is too small or someone is rotating keys).
    public var evictions: Int { shards.reduce(0) { $0 + $1.state.withLock(\.evictions) } }
    /// Idle keys freed.
    public var expirations: Int { shards.reduce(0) { $0 + $1.state.withLock(\.expirations) } }

    /// A key's penalty state, for tests: when its ban ends and how many bans it has had.
    func penaltyState(of key: RateLimitKey) -> (bannedUntil: Int64, bans: Int)? {
        shards[key.shard(mask: mask)].state.withLock { shard in
            shard.snapshot(of: key).map { ($0.slot.bannedUntil, Int($0.slot.bans)) }
        }
    }
}
