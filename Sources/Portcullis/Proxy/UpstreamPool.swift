import NIOCore
import NIOHTTP1
import NIOPosix

/// The upstream connections of one event loop: keep-alive connections per endpoint, endpoint
/// choice (round-robin or least outstanding), and an idle sweep. Used only on its own loop,
/// so it needs no locks.
final class UpstreamPool {
    enum Acquisition {
        case ready(UpstreamConnection)
        case connecting(EventLoopFuture<UpstreamConnection>, endpoint: Int)
        case noHealthyEndpoint
    }

    private struct GroupState {
        var nextIndex = 0
        var outstanding: [Int]
        var idle: [[UpstreamConnection]]
    }

    let eventLoop: EventLoop
    private let groups: [UpstreamGroup]
    private var state: [GroupState]
    private let connectTimeout: TimeAmount
    /// The loop's coarse clock.
    unowned let clock: ConnectionSweeper
    let limits: NIOHTTPDecoderLimitConfiguration

    init(eventLoop: EventLoop, groups: [UpstreamGroup], connectTimeout: Int64, clock: ConnectionSweeper) {
        self.clock = clock
        self.eventLoop = eventLoop
        self.groups = groups
        self.state = groups.map { GroupState(outstanding: Array(repeating: 0, count: $0.endpoints.count), idle: Array(repeating: [], count: $0.endpoints.count)) }
        self.connectTimeout = .nanoseconds(connectTimeout)
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = 256 * 1024
        limits.maxHeaderFieldSize = 128 * 1024
        self.limits = limits
    }

    func shutdown() {
        for groupIndex in state.indices {
            for endpoint in state[groupIndex].idle.indices {
                for connection in state[groupIndex].idle[endpoint] { connection.close() }
                state[groupIndex].idle[endpoint].removeAll()
            }
        }
    }

    /// Chooses an endpoint (skipping ejected ones and `excluding`) and returns a pooled or new connection.
    /// - Parameter fresh: open a new connection even if one is idle (upgrades: many servers accept
    ///   an Upgrade only as the first request on a connection).
    func acquire(_ group: UpstreamGroup, excluding: Int? = nil, fresh: Bool = false) -> Acquisition {
        guard let endpoint = chooseEndpoint(group, excluding: excluding) else { return .noHealthyEndpoint }
        state[group.index].outstanding[endpoint] += 1
        while !fresh, let connection = state[group.index].idle[endpoint].popLast() {
            if connection.isReusable { return .ready(connection) }
        }
        return .connecting(connect(group, endpoint: endpoint), endpoint: endpoint)
    }

    /// Returns a connection after its exchange; only a fully read keep-alive response makes it reusable.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        connection.delegate = nil
        state[connection.group.index].outstanding[connection.endpointIndex] -= 1
        let idle = state[connection.group.index].idle[connection.endpointIndex]
        if reusable, connection.isReusable, idle.count < connection.group.maxIdlePerEndpoint {
            connection.idleSince = clock.now
            state[connection.group.index].idle[connection.endpointIndex].append(connection)
        } else {
            connection.close()
        }
    }

    /// Takes a connection out of the pool's accounting without closing it (it became a tunnel).
    func detach(_ connection: UpstreamConnection) {
        connection.delegate = nil
        state[connection.group.index].outstanding[connection.endpointIndex] -= 1
        connection.isPoisoned = true
    }

    /// Idle connections pooled for a group on this loop (for metrics).
    func idleCount(_ groupIndex: Int) -> Int {
        state[groupIndex].idle.reduce(0) { $0 + $1.count }
    }

    /// Gives back an outstanding slot for an acquisition whose connect failed.
    func abandon(_ group: UpstreamGroup, endpoint: Int) {
        state[group.index].outstanding[endpoint] -= 1
    }

    private func chooseEndpoint(_ group: UpstreamGroup, excluding: Int?) -> Int? {
        let count = group.endpoints.count
        let now = clock.now.uptimeNanoseconds
        switch group.balance {
        case .roundRobin:
            var index = state[group.index].nextIndex
            for _ in 0..<count {
                let candidate = index % count
                index += 1
                if candidate != excluding, group.endpoints[candidate].isAvailable(now: now) {
                    state[group.index].nextIndex = index % count
                    return candidate
                }
            }
            return nil
        case .leastOutstanding:
            var best: Int?
            let start = state[group.index].nextIndex
            state[group.index].nextIndex = (start + 1) % count
            for offset in 0..<count {
                let candidate = (start + offset) % count
                guard candidate != excluding, group.endpoints[candidate].isAvailable(now: now) else { continue }
                if best == nil || state[group.index].outstanding[candidate] < state[group.index].outstanding[best!] { best = candidate }
            }
            return best
        }
    }

    private func connect(_ group: UpstreamGroup, endpoint: Int) -> EventLoopFuture<UpstreamConnection> {
        let limits = self.limits
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward, limitConfiguration: limits)
                    var encoderConfiguration = HTTPRequestEncoder.Configuration()
                    encoderConfiguration.automaticallySetFramingHeaders = false
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestEncoder(configuration: encoderConfiguration), name: UpstreamConnection.encoderName)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder), name: UpstreamConnection.decoderName)
                }
            }
            .connect(to: group.endpoints[endpoint].address)
            .flatMapThrowing { channel in
                let connection = UpstreamConnection(channel: channel, group: group, endpointIndex: endpoint)
                try channel.pipeline.syncOperations.addHandler(connection.handler, name: UpstreamConnection.handlerName)
                return connection
            }
    }

    func closeExpiredIdleConnections(now: NIODeadline) {
        for groupIndex in state.indices {
            let timeout = TimeAmount.nanoseconds(groups[groupIndex].idleTimeout)
            for endpoint in state[groupIndex].idle.indices where !state[groupIndex].idle[endpoint].isEmpty {
                state[groupIndex].idle[endpoint].removeAll { connection in
                    let expired = !connection.isReusable || connection.idleSince + timeout <= now
                    if expired { connection.close() }
                    return expired
                }
            }
        }
    }
}
