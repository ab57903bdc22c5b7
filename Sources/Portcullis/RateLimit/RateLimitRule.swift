import Synchronization

/// One compiled `rate_limits` entry: where it applies, how a client is keyed, its windows and
/// penalty, and the header values it sends, all computed once when the policy is compiled.
public final class RateLimitRule: PolicyRule {
    /// What a rule does when the shared store cannot answer (the local store always can).
    public enum StoreErrorAction: String, Sendable, CaseIterable {
        case allow
        case deny
    }

    /// At most this many windows per rule: each key's counters are stored inline, in a fixed slot.
    public static let maximumWindows = 4

    public let common: PolicyRuleCommon
    public let match: PolicyMatch
    public let isShadow: Bool
    public let key: RateLimitKeySpec
    /// Used when a part of `key` is absent; nil: such requests are not limited by this rule.
    public let fallbackKey: RateLimitKeySpec?
    public let windows: [RateLimitWindow]
    /// `windows` reduced to their numbers, for the store's decisions.
    let limits: [RateLimitWindow.Limit]
    public let penalty: RateLimitPenalty?
    /// Allowed responses carry `RateLimit` (and `RateLimit-Policy`).
    public let sendsHeaders: Bool
    public let onStoreError: StoreErrorAction
    /// Where the counters live; nil: the config's default (`redis.default_store`).
    public let store: RateLimitStoreChoice?
    /// Verifies bearer tokens for `jwt:` key parts; nil when the key has none.
    public let tokens: JWTClaimVerifier?
    /// Distinguishes this rule's counters from every other rule's in a shared store; changes
    /// when the name, key or windows change, so a reloaded rule with new limits starts afresh.
    public let fingerprint: UInt64
    /// The same, but equal in every process (FNV-1a of the name, key and windows as written):
    /// keys in the shared store must be the same for every instance.
    public let sharedFingerprint: UInt64
    /// The whole `RateLimit-Policy` field value, e.g. `"login";q=5;w=60`.
    public let policyHeader: String
    /// The longest window: how long a key's counters can matter after its last request.
    let longestWindow: Int64
    /// The shared store's script call for this rule, laid out once here: the key suffixes (one
    /// per window, and the penalty's) and the arguments (`RedisRateLimitScript`).
    let redisCommand: RedisRateLimitCommand
    /// `redisCommand`'s encoded length, for its buffer.
    let redisCommandLength: Int

    /// Requests this rule refused (or, in shadow mode, would have refused), and bans it began.
    /// For metrics; they count from the rule's compilation (a reload starts them at zero).
    public let limitedCount = Atomic<Int>(0)
    public let banCount = Atomic<Int>(0)
    /// Requests the shared store failed (decided by `on_store_error` instead), by reason.
    public let storeFallbacks = RateLimitStoreFallbacks()

    public init(common: PolicyRuleCommon, key: RateLimitKeySpec, fallbackKey: RateLimitKeySpec?, windows: [RateLimitWindow],
                penalty: RateLimitPenalty?, sendsHeaders: Bool, onStoreError: StoreErrorAction, tokens: JWTClaimVerifier?, store: RateLimitStoreChoice? = nil) {
        precondition(!windows.isEmpty && windows.count <= Self.maximumWindows, "a rule has 1 to \(Self.maximumWindows) windows")
        self.common = common
        self.match = common.match
        self.isShadow = common.mode == .shadow
        self.key = key
        self.fallbackKey = fallbackKey
        self.windows = windows
        self.limits = windows.map(\.limit)
        self.penalty = penalty
        self.sendsHeaders = sendsHeaders
        self.onStoreError = onStoreError
        self.store = store
        self.tokens = tokens
        var hasher = Hasher()
        hasher.combine(common.name)
        hasher.combine(key)
        hasher.combine(windows)
        self.fingerprint = UInt64(truncatingIfNeeded: hasher.finalize())
        var stable: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "\(common.name)|\(key)|\(windows.map(\.description).joined(separator: ","))".utf8 {
            stable = (stable ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        self.sharedFingerprint = stable
        self.policyHeader = windows.map(\.policyItem).joined(separator: ", ")
        self.longestWindow = windows.map(\.length).max() ?? 0
        let redisKeySuffixes = windows.map { ":" + String($0.length / 1_000_000) } + (penalty == nil ? [] : [":p"])
        var arguments = [String(windows.count)]
        for window in windows { arguments += [String(window.requests), String(window.length / 1000)] }
        if let penalty {
            arguments += [String(penalty.afterViolations), String(penalty.within / 1000), String(penalty.ban / 1000),
                          String(penalty.growth), String(penalty.maxBan / 1000), String(penalty.forgetAfter / 1000)]
        } else {
            arguments += ["0", "0", "0", "1", "0", "0"]
        }
        self.redisCommand = RedisRateLimitCommand(ruleName: common.name, keySuffixes: redisKeySuffixes, arguments: arguments)
        redisCommandLength = redisCommand.encodedEVALSHALength
    }

    public var name: String { common.name }
    public var mode: PolicyMode { common.mode }
}
