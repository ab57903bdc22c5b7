/// A rule's `store`: where its counters live. A rule that names none uses the config's default
/// (Redis when `redis:` is configured, unless `redis.default_store: local`).
public enum RateLimitStoreChoice: String, Sendable, CaseIterable {
    /// Shared by every instance through Redis (falls back to `local` while Redis fails).
    case redis
    /// This process only.
    case local
}
