/// The `redis:` section: the shared rate-limit store (docs/configuration.md#redis). A server or
/// a Redis Cluster (found out at connection: `CLUSTER SLOTS` answers), reached by URL.
public struct RedisConfig: Sendable {
    /// The server, or any node of a cluster (the seed from which the slot map is read).
    public var endpoint: RedisEndpoint
    /// `AUTH` after connecting (with `username`: Redis 6 ACL users).
    public var username: String?
    public var password: String?
    /// `SELECT` after connecting (a cluster has only database 0).
    public var database: Int = 0
    /// Connections per event loop and node; requests are pipelined on them.
    public var poolSize: Int = 2
    /// The budget of one decision (nanoseconds): slower is a store error (`on_store_error`).
    public var timeout: Int64 = 10_000_000
    public var connectTimeout: Int64 = 1_000_000_000
    /// Consecutive failures that open the circuit breaker; then Redis is probed with back-off.
    public var failuresToOpen: Int = 5
    /// The first probe's delay after the circuit opens (doubling up to `maxBackoff`).
    public var backoff: Int64 = 200_000_000
    public var maxBackoff: Int64 = 5_000_000_000
    /// Rules that name no `store` use Redis (true) or the in-process store (false).
    public var isDefaultStore = true

    public init(endpoint: RedisEndpoint) {
        self.endpoint = endpoint
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`, `unix:///path/to/redis.sock[?db=N]`
    /// or a bare socket path (`/run/redis.sock`). The error is a sentence fragment.
    public static func parse(url text: String) -> Result<RedisConfig, URLError> {
        if text.hasPrefix("/") { return .success(RedisConfig(endpoint: .unix(path: text))) }
        if text.hasPrefix("unix://") {
            var rest = Substring(text.dropFirst("unix://".count))
            var database = 0
            if let question = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: question)...]
                rest = rest[..<question]
                guard query.hasPrefix("db="), let number = Int(query.dropFirst(3)), (0...15_999).contains(number) else {
                    return .failure(URLError(message: "has the query '\(query)'; expected ?db=N"))
                }
                database = number
            }
            guard rest.hasPrefix("/") else { return .failure(URLError(message: "must name an absolute socket path, like unix:///run/redis/redis.sock")) }
            var config = RedisConfig(endpoint: .unix(path: String(rest)))
            config.database = database
            return .success(config)
        }
        guard text.hasPrefix("redis://") else {
            return .failure(URLError(message: "must be redis://host:port/db, unix:///path/to/socket or a socket path"))
        }
        var rest = Substring(text.dropFirst("redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : String(user)
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), (0...15_999).contains(number) else {
                    return .failure(URLError(message: "has the database '\(path)'; expected a number like /0"))
                }
                database = number
            }
        }
        let hostPort: HostPort?
        if rest.contains(":") && !rest.hasSuffix("]") {
            hostPort = HostPort(String(rest))
        } else {
            hostPort = HostPort(String(rest) + ":6379")
        }
        guard let hostPort, !hostPort.host.isEmpty else {
            return .failure(URLError(message: "has the address '\(rest)'; expected host:port like 127.0.0.1:6379"))
        }
        var config = RedisConfig(endpoint: .tcp(host: hostPort.host, port: hostPort.port))
        config.username = username
        config.password = password.flatMap { $0.isEmpty ? nil : $0 }
        config.database = database
        return .success(config)
    }

    /// `portcullis run --redis-url` (or `PORTCULLIS_REDIS_URL`): the URL's server, credentials and
    /// database replace the config's, whose other settings stay; Redis becomes the default store.
    public static func overriding(_ config: RedisConfig?, url: String) -> Result<RedisConfig, URLError> {
        parse(url: url).map { parsed in
            guard var merged = config else { return parsed }
            merged.endpoint = parsed.endpoint
            merged.database = parsed.database
            if parsed.password != nil {
                merged.username = parsed.username
                merged.password = parsed.password
            }
            merged.isDefaultStore = true
            return merged
        }
    }

    public struct URLError: Error, Sendable {
        public var message: String
    }
}
