import Logging
import NIOCore
import Synchronization

/// Everything the request path shares across event loops, compiled once from config:
/// routes, upstream groups with their health, limits and timeouts. Immutable but for counters.
public final class GatewayRuntime: Sendable {
    public let config: GatewayConfig
    public let routes: RouteTable
    public let upstreamGroups: [UpstreamGroup]
    public let addressResolver: ClientAddressResolver
    public let hygiene: RequestHygiene
    public let logger: Logger
    /// Rate-limit counters for every event loop and every policy snapshot (a reload keeps them).
    public let rateLimitStore: RateLimitStore
    /// The shared rate-limit store, when `redis:` is configured (connections open on first use).
    public let redis: RedisRateLimitStore?
    /// The geo database (opened now, re-opened when replaced); nil without a `geo:` section.
    public let geoStore: GeoDatabaseStore?
    let activeConnections = Atomic<Int>(0)

    /// Resolves endpoint host names now (blocking, at start-up only, never on an event loop).
    public init(config: GatewayConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        var groups: [UpstreamGroup] = []
        for (index, groupConfig) in config.upstreams.enumerated() {
            let addresses = try groupConfig.endpoints.map { endpoint in
                try SocketAddress.makeAddressResolvingHost(endpoint.host, port: endpoint.port)
            }
            groups.append(UpstreamGroup(config: groupConfig, index: index, addresses: addresses))
        }
        self.upstreamGroups = groups
        let byName = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0) })
        self.routes = RouteTable(routes: config.routes.enumerated().map { index, route in
            Route(config: route, index: index, upstream: byName[route.upstream]!, defaultMaxBody: config.limits.maxBodyBytes)
        })
        self.addressResolver = ClientAddressResolver(trustedProxies: config.trustedProxies)
        self.hygiene = RequestHygiene(maxURIBytes: config.limits.maxURIBytes)
        self.rateLimitStore = RateLimitStore(capacity: config.limits.maxRateLimitKeys)
        self.redis = config.redis.map { RedisRateLimitStore(client: RedisClient(config: $0, logger: logger)) }
        self.geoStore = config.geo.map { GeoDatabaseStore(config: $0, logger: logger) }
    }

    public var currentConnections: Int { activeConnections.load(ordering: .relaxed) }

    /// Takes a connection slot; false when `limits.max_connections` is reached.
    func admitConnection() -> Bool {
        let count = activeConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if count > config.limits.maxConnections {
            activeConnections.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func releaseConnection() {
        activeConnections.wrappingSubtract(1, ordering: .relaxed)
    }
}
