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
        var evalsha = allocator.buffer(capacity: 256)
        command.encode(.evalsha, check: check, into: &evalsha)
        return client.request(on: eventLoop) { connection, decided in
            let slot = connection.routesBySlot ? command.slot(check: check) : 0
            connection.send(evalsha, slot: slot).whenComplete { result in
                guard case .success(let reply) = result, reply.errorCode == "NOSCRIPT" else {
                    decided.completeWith(result.flatMap(Self.decision(from:)))
                    return
                }
                // The node that answered does not have the script (restarted, SCRIPT FLUSH, a new
                // master): EVAL sends it with the same keys, so it follows the same redirections
                // to that node, loads it there (later EVALSHAs find it) and decides.
                var eval = ByteBufferAllocator().buffer(capacity: RedisRateLimitScript.source.utf8.count + 256)
                command.encode(.eval, check: check, into: &eval)
                connection.send(eval, slot: slot).whenComplete { result in
                    decided.completeWith(result.flatMap(Self.decision(from:)))
                }
            }
        }
    }

    /// Reads the script's six integers.
    static func decision(from reply: RedisReply) -> Result<RateLimitDecision, Error> {
        guard case .array(let fields) = reply, fields.count == 6 else {
            return .failure(RedisError(.error, "unexpected answer from the rate-limit script: \(reply.text ?? "\(reply)")"))
        }
        func values(_ index: Int) -> Int64 { fields[index].integer ?? 0 }
        let verdict: RateLimitDecision.Verdict = values(0) == 0 ? .allowed : (values(0) == 1 ? .limited : .banned)
        var decision = RateLimitDecision(verdict: verdict, window: Int(values(1)), remaining: Int(values(2)), reset: values(3) * 1000)
        decision.banStarted = values(4) * 1000
        decision.banLevel = Int(values(5))
        return .success(decision)
    }
}
