/// What the store decided about one request under one rule. A plain value: no allocation.
public struct RateLimitDecision: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Over a window's limit.
        case limited
        /// The key is serving a ban (see `RateLimitPenalty`).
        case banned
    }

    public var verdict: Verdict
    /// The window the answer's `RateLimit` field reports: the one refusing the request (the
    /// latest to allow again), or for an allowed request the one with the fewest requests left.
    public var window: Int
    /// Whole requests left in that window after this one.
    public var remaining: Int
    /// Nanoseconds until a retry can be allowed (refused), or until the reported window's
    /// quota is whole again (allowed).
    public var reset: Int64
    /// A ban this request began (nanoseconds; 0: none), and how many bans came before it.
    public var banStarted: Int64 = 0
    public var banLevel: Int = 0
    /// The shared store failed: the rule's `on_store_error` decided (under `allow`, this is the
    /// in-process store's decision). Logged and counted as the outcome `store_error`.
    public var storeError = false

    public var isAllowed: Bool { verdict == .allowed }

    /// Seconds, rounded up: a client waiting this long is never early.
    public var resetSeconds: Int { Int((reset + 999_999_999) / 1_000_000_000) }
}
