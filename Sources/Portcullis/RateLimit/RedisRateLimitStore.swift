import NIOCore

/// The shared rate-limit store: each decision is one `EVALSHA` of `RedisRateLimitScript` on the
/// keys of one client under one rule, all hash-tagged `{rule:key}` so they share a cluster slot.
/// A node that answers `NOSCRIPT` (the first time, after a restart or a `SCRIPT FLUSH`) gets the
/// script once with `EVAL`, which loads it into its cache and decides. A failure (refused, lost, slower than the
/// budget, circuit open) is returned as such: the rule's `on_store_error` decides what follows.
public final class RedisRateLimitStore: Sendable {
    public let client: RedisClient
    private let allocator = ByteBufferAllocator()

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
        let command = rule.redisCommand
        let check = key.check
        let windows = rule.windows.count
        var evalsha = allocator.buffer(capacity: rule.redisCommandLength)
        command.encode(.evalsha, check: check, into: &evalsha)
        return client.request(on: eventLoop) { connection, decided in
            let slot = connection.routesBySlot ? command.slot(check: check) : 0
            connection.send(evalsha, slot: slot).whenComplete { result in
                guard case .success(let reply) = result, reply.errorCode == "NOSCRIPT" else {
                    decided.completeWith(result.flatMap { reply in Result { try Self.decision(from: reply, windows: windows) } })
                    return
                }
                // The node that answered does not have the script (restarted, SCRIPT FLUSH, a new
                // master): EVAL sends it with the same keys, so it follows the same redirections
                // to that node, loads it there (later EVALSHAs find it) and decides.
                var eval = ByteBufferAllocator().buffer(capacity: RedisRateLimitScript.source.utf8.count + 256)
                command.encode(.eval, check: check, into: &eval)
                connection.send(eval, slot: slot).whenComplete { result in
                    decided.completeWith(result.flatMap { reply in Result { try Self.decision(from: reply, windows: windows) } })
                }
            }
        }
    }

    /// Reads the script's six integers. Anything else (another shape, a verdict other than 0-2, a
    /// window the rule does not have, negative or overflowing times) is a store error, never a
    /// decision: the rule's `on_store_error` handles it.
    static func decision(from reply: RedisReply, windows: Int) throws -> RateLimitDecision {
        guard case .array(let fields) = reply, fields.count == 6 else {
            throw RedisError(.error, "unexpected answer from the rate-limit script: \(reply.text ?? "\(reply)")")
        }
        func value(_ index: Int) throws -> Int64 {
            guard let value = fields[index].integer, value >= 0 else { throw RedisError(.error, "unexpected answer from the rate-limit script: \(reply)") }
            return value
        }
        let (verdictCode, window, remaining, resetMicros, banMicros, banLevel) = (try value(0), try value(1), try value(2), try value(3), try value(4), try value(5))
        let (reset, resetOverflow) = resetMicros.multipliedReportingOverflow(by: 1000)
        let (banStarted, banOverflow) = banMicros.multipliedReportingOverflow(by: 1000)
        // A reset beyond a century is no answer the script gives (its bans are capped far below).
        guard verdictCode <= 2, window < windows, !resetOverflow, reset <= Self.longestReset, !banOverflow, banLevel < Int64(Int32.max) else {
            throw RedisError(.error, "unexpected answer from the rate-limit script: \(reply)")
        }
        let verdict: RateLimitDecision.Verdict = verdictCode == 0 ? .allowed : (verdictCode == 1 ? .limited : .banned)
        var decision = RateLimitDecision(verdict: verdict, window: Int(window), remaining: Int(remaining), reset: reset)
        decision.banStarted = banStarted
        decision.banLevel = Int(banLevel)
        return decision
    }

    /// 100 years, in nanoseconds.
    static let longestReset: Int64 = 100 * 365 * 86_400 * 1_000_000_000
}
