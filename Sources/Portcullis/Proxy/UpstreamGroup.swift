import NIOCore

/// A named set of endpoints that routes forward to, shared by every event loop.
public final class UpstreamGroup: Sendable {
    public let name: String
    /// Position in the gateway's group list; per-loop pools index their state by it.
    let index: Int
    public let endpoints: [EndpointHealth]
    public let balance: BalanceStrategy
    let maxIdlePerEndpoint: Int
    let idleTimeout: Int64

    init(config: UpstreamGroupConfig, index: Int, addresses: [SocketAddress]) {
        self.name = config.name
        self.index = index
        self.endpoints = zip(config.endpoints, addresses).map { endpoint, address in
            EndpointHealth(name: endpoint.description, address: address, maxFailures: config.maxFailures, ejectionBase: config.ejectionBase, ejectionMax: config.ejectionMax)
        }
        self.balance = config.balance
        self.maxIdlePerEndpoint = config.maxIdlePerEndpoint
        self.idleTimeout = config.idleTimeout
    }

    public var healthyEndpointCount: Int {
        let now = NIODeadline.now().uptimeNanoseconds
        return endpoints.reduce(0) { $0 + ($1.isAvailable(now: now) ? 1 : 0) }
    }
}
