import NIOCore

/// One event loop's coarse clock and timeout checks. Instead of scheduling timers per request
/// (each an allocation and a heap operation), every connection records plain timestamps and this
/// sweeper visits the loop's connections a few times a second, like nginx's cached time.
final class ConnectionSweeper {
    /// The loop's notion of now, refreshed on every tick; precise to one interval.
    private(set) var now = NIODeadline.now()
    private var connections: [ProxyConnectionHandler] = []
    /// Where the next tick's walk starts.
    private var cursor = 0
    static let visitsPerTick = 1024
    private var task: RepeatedTask?
    private var ticksSincePoolSweep = 0
    private let interval: TimeAmount
    private let poolSweepEvery: Int
    weak var pool: UpstreamPool?

    /// - Parameter shortestTimeout: the smallest configured timeout; ticks come at a fifth of it (10–100 ms).
    init(shortestTimeout: Int64) {
        let nanos = min(100_000_000, max(10_000_000, shortestTimeout / 5))
        interval = .nanoseconds(nanos)
        poolSweepEvery = max(1, Int(1_000_000_000 / nanos))
    }

    func start(on loop: EventLoop) {
        task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [unowned self] _ in
            self.tick()
        }
    }

    func stop() {
        task?.cancel()
        task = nil
    }

    func register(_ connection: ProxyConnectionHandler) {
        connection.sweepSlot = connections.count
        connections.append(connection)
    }

    func unregister(_ connection: ProxyConnectionHandler) {
        let slot = connection.sweepSlot
        guard slot >= 0, slot < connections.count, connections[slot] === connection else { return }
        let last = connections.removeLast()
        if slot < connections.count {
            connections[slot] = last
            last.sweepSlot = slot
        }
        connection.sweepSlot = -1
    }

    private func tick() {
        now = .now()
        // At most `visitsPerTick` connections a tick, resuming where the last tick stopped: with
        // 10,000 idle connections one whole walk held the loop for milliseconds every tick, which
        // every request then waited out (scripts/bench-floods, "idle"). A timeout is noticed at
        // most ⌈connections / visitsPerTick⌉ intervals late. A check may close its connection,
        // which moves the last one into its slot: that one is then visited on the next walk.
        var visits = 0
        while visits < Self.visitsPerTick, !connections.isEmpty {
            if cursor >= connections.count { cursor = 0 }
            let connection = connections[cursor]
            cursor += 1
            visits += 1
            connection.checkDeadlines(now: now)
            if cursor >= connections.count { break }
        }
        ticksSincePoolSweep += 1
        if ticksSincePoolSweep >= poolSweepEvery {
            ticksSincePoolSweep = 0
            pool?.closeExpiredIdleConnections(now: now)
        }
    }
}
