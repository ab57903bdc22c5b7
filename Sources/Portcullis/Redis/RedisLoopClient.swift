import NIOCore

/// One event loop's view of Redis: its connection pools (one per node) and, for a cluster, its
/// own copy of the slot map. Routes each command to the master of its key's slot, follows `MOVED`
/// (remembering the new owner and refreshing the map) and `ASK` (`ASKING` first, once). Whether
/// the server is a cluster is found out on first use: `CLUSTER SLOTS` answers or refuses.
/// Confined to its event loop (every method runs there).
final class RedisLoopClient {
    private enum Topology {
        case unknown
        case standalone
        case cluster
    }

    static let maximumRedirections = 5

    let loop: EventLoop
    private let config: RedisConfig
    private let redirected: RedisRedirections
    private var pools: [RedisEndpoint: RedisNodePool] = [:]
    private var topology = Topology.unknown
    private var slots = RedisClusterSlots()
    private var discovery: EventLoopFuture<Void>?
    private var refreshing = false
    /// Fails this loop's requests that outlast `config.timeout`.
    let budgetTimer: RedisBudgetTimer

    init(loop: EventLoop, config: RedisConfig, redirections: RedisRedirections) {
        self.loop = loop
        self.config = config
        self.redirected = redirections
        budgetTimer = RedisBudgetTimer(loop: loop, budget: .nanoseconds(config.timeout))
    }

    /// Whether commands are routed by slot (a cluster, or not known yet): a single server needs
    /// no slot, so its callers need not hash their keys.
    var routesBySlot: Bool { topology != .standalone }

    /// Sends a command whose keys hash to `slot`. The future fails only when no reply came
    /// (connection refused or lost); an error reply other than a redirection is returned as such.
    func send(_ command: ByteBuffer, slot: Int) -> EventLoopFuture<RedisReply> {
        loop.preconditionInEventLoop()
        switch topology {
        case .standalone:
            return pool(config.endpoint).send(command)
        case .cluster:
            return route(command, slot: slot, to: slots.owner(of: slot) ?? config.endpoint, redirections: 0)
        case .unknown:
            return discover().flatMap { [self] in send(command, slot: slot) }
        }
    }

    /// Checks that Redis answers (the circuit breaker's probe): `PING`, or for a cluster a fresh
    /// slot map.
    func probe() -> EventLoopFuture<Void> {
        switch topology {
        case .unknown, .cluster:
            topology = .unknown
            return discover()
        case .standalone:
            return pool(config.endpoint).send(RedisCommandEncoder.encode(["PING"])).flatMapThrowing { reply in
                if case .error(let text) = reply { throw RedisError(.error, "Redis answered PING with \(text)") }
            }
        }
    }

    private func route(_ command: ByteBuffer, slot: Int, to endpoint: RedisEndpoint, redirections: Int, asking: Bool = false) -> EventLoopFuture<RedisReply> {
        let reply = asking
            ? pool(endpoint).send([RedisCommandEncoder.encode(["ASKING"]), command])[1]
            : pool(endpoint).send(command)
        return reply.flatMap { [self] reply in
            if case .error(let text) = reply, text.hasPrefix("TRYAGAIN"), redirections < Self.maximumRedirections {
                // A multi-key command during a slot migration: the keys are on their way.
                return loop.scheduleTask(in: .milliseconds(2)) {}.futureResult.flatMap { [self] in
                    route(command, slot: slot, to: endpoint, redirections: redirections + 1, asking: asking)
                }
            }
            guard case .error(let text) = reply, redirections < Self.maximumRedirections,
                text.hasPrefix("MOVED ") || text.hasPrefix("ASK "), let target = RedisClusterSlots.redirection(text)
            else { return loop.makeSucceededFuture(reply) }
            if text.hasPrefix("MOVED ") {
                redirected.moved.wrappingAdd(1, ordering: .relaxed)
                // The slot has a new owner for good: remember it now, and re-read the whole map,
                // since a resharding usually moves more than one slot.
                topology = .cluster
                slots.move(slot: target.slot, to: target.endpoint)
                refreshSlots(from: target.endpoint)
                return route(command, slot: slot, to: target.endpoint, redirections: redirections + 1)
            }
            // ASK: this one command goes to the importing node, the map stays as it is.
            redirected.ask.wrappingAdd(1, ordering: .relaxed)
            return route(command, slot: slot, to: target.endpoint, redirections: redirections + 1, asking: true)
        }
    }

    /// Reads `CLUSTER SLOTS` from the seed: a map means a cluster; "cluster support disabled"
    /// (or any error reply) means a single server.
    private func discover() -> EventLoopFuture<Void> {
        if let discovery { return discovery }
        let future = pool(config.endpoint).send(RedisCommandEncoder.encode(["CLUSTER", "SLOTS"])).flatMapThrowing { [self] reply in
            if case .error(let text) = reply {
                if text.hasPrefix("NOAUTH") || text.hasPrefix("WRONGPASS") || text.hasPrefix("ERR invalid password") {
                    throw RedisError(.error, "Redis at \(config.endpoint) refused the password: \(text)")
                }
                topology = .standalone
            } else if let map = RedisClusterSlots(reply: reply) {
                slots = map
                topology = .cluster
            } else {
                topology = .standalone
            }
        }
        discovery = future
        future.whenComplete { [self] _ in discovery = nil }
        return future
    }

    private func refreshSlots(from endpoint: RedisEndpoint) {
        guard !refreshing else { return }
        refreshing = true
        pool(endpoint).send(RedisCommandEncoder.encode(["CLUSTER", "SLOTS"])).whenComplete { [self] result in
            refreshing = false
            if case .success(let reply) = result, let map = RedisClusterSlots(reply: reply) { slots = map }
        }
    }

    private func pool(_ endpoint: RedisEndpoint) -> RedisNodePool {
        if let pool = pools[endpoint] { return pool }
        let pool = RedisNodePool(endpoint: endpoint, loop: loop, config: config, selectsDatabase: true)
        pools[endpoint] = pool
        return pool
    }

    func close() {
        for pool in pools.values { pool.close() }
    }
}

// Confined to its event loop: it is only reached through `RedisClient.loopClient(on:)`, on that loop.
extension RedisLoopClient: @unchecked Sendable {}
