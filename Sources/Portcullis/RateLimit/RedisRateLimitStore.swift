import NIOCore

/// The shared rate-limit store: each decision is one `EVALSHA` of `RedisRateLimitScript` on the
/// keys of one client under one rule, all hash-tagged `{rule:key}` so they share a cluster slot.
/// A node that answers `NOSCRIPT` (the first time, after a restart or a `SCRIPT FLUSH`) gets the
/// script once with `EVAL`, which loads it into its cache and decides. A failure (refused, lost, slower than the
/// budget, circuit open) is returned as such: the rule's `on_store_error` decides what follows.
public final class RedisRateLimitStore: Sendable {
    public let client: RedisClient

    public init(client: RedisClient) {
        self.client = client
    }

    /// Connects every loop and loads the script ahead of the first decision.
    public func warmUp(loops: [EventLoop]) {
        for loop in loops { client.warmUp(on: loop, script: RedisRateLimitScript.source) }
    }

    /// Whether `rule` counts here (its `store`, or the config's default when it names none).
    @inline(__always)
    public func serves(_ rule: RateLimitRule) -> Bool {
        switch rule.store {
        case .redis: return true
        case .local: return false
        case nil: return client.config.isDefaultStore
        }
    }

    /// The decision for `key` under `rule`, taken in Redis; fails with a `RedisError`.
    func decide(_ key: RateLimitKey, rule: RateLimitRule, eventLoop: EventLoop) -> EventLoopFuture<RateLimitDecision> {
        let prefix = Self.keyPrefix(rule: rule, key: key)
        let slot = RedisClusterSlots.slot(of: prefix)
        let evalsha = RedisCommandEncoder.encode(Self.arguments(rule: rule, prefix: prefix, sha: RedisRateLimitScript.sha1))
        return client.request(on: eventLoop) { connection in
            connection.send(evalsha, slot: slot).flatMap { reply -> EventLoopFuture<RedisReply> in
                guard reply.errorCode == "NOSCRIPT" else { return eventLoop.makeSucceededFuture(reply) }
                // The node that answered does not have the script (restarted, SCRIPT FLUSH, a new
                // master): EVAL sends it with the same keys, so it follows the same redirections
                // to that node, loads it there (later EVALSHAs find it) and decides.
                let eval = RedisCommandEncoder.encode(Self.arguments(rule: rule, prefix: prefix, sha: RedisRateLimitScript.source, command: "EVAL"))
                return connection.send(eval, slot: slot)
            }.flatMapThrowing { reply in
                try Self.decision(from: reply, windows: rule.windows.count)
            }
        }
    }

    /// `{login:0123456789abcdef}`: the rule's name and the key's stable hash (never the client's
    /// value), between braces so every key of one decision lands in one cluster slot.
    static func keyPrefix(rule: RateLimitRule, key: RateLimitKey) -> String {
        var hex = String(key.check, radix: 16)
        if hex.count < 16 { hex = String(repeating: "0", count: 16 - hex.count) + hex }
        return "{" + rule.name + ":" + hex + "}"
    }

    static func arguments(rule: RateLimitRule, prefix: String, sha: String, command: String = "EVALSHA") -> [String] {
        var arguments = [command, sha, String(rule.redisKeySuffixes.count)]
        arguments.reserveCapacity(3 + rule.redisKeySuffixes.count + rule.redisArguments.count)
        for suffix in rule.redisKeySuffixes { arguments.append(prefix + suffix) }
        arguments.append(contentsOf: rule.redisArguments)
        return arguments
    }

    /// Reads the script's six integers. Anything else (another shape, a verdict other than 0-2, a
    /// window the rule does not have, negative or overflowing times) is a store error, never a
    /// decision: the rule's `on_store_error` handles it.
    static func decision(from reply: RedisReply, windows: Int) throws -> RateLimitDecision {
        guard case .array(let fields) = reply, fields.count == 6 else {
            throw RedisError(.error, "unexpected answer from the rate-limit script: \(reply.text ?? "\(reply)")")
        }
        var values: [Int64] = []
        values.reserveCapacity(6)
        for field in fields {
            guard let value = field.integer, value >= 0 else { throw RedisError(.error, "unexpected answer from the rate-limit script: \(reply)") }
            values.append(value)
        }
        let (reset, resetOverflow) = values[3].multipliedReportingOverflow(by: 1000)
        let (banStarted, banOverflow) = values[4].multipliedReportingOverflow(by: 1000)
        // A reset beyond a century is no answer the script gives (its bans are capped far below).
        guard values[0] <= 2, values[1] < windows, !resetOverflow, reset <= Self.longestReset, !banOverflow, values[5] < Int64(Int32.max) else {
            throw RedisError(.error, "unexpected answer from the rate-limit script: \(reply)")
        }
        let verdict: RateLimitDecision.Verdict = values[0] == 0 ? .allowed : (values[0] == 1 ? .limited : .banned)
        var decision = RateLimitDecision(verdict: verdict, window: Int(values[1]), remaining: Int(values[2]), reset: reset)
        decision.banStarted = banStarted
        decision.banLevel = Int(values[5])
        return decision
    }

    /// 100 years, in nanoseconds.
    static let longestReset: Int64 = 100 * 365 * 86_400 * 1_000_000_000
}
