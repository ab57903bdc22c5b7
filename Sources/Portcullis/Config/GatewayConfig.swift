/// The operator's configuration: where to listen, where to forward, and the limits that protect both.
/// Loaded and validated by `ConfigLoader`; immutable once the gateway starts.
public struct GatewayConfig: Sendable {
    /// Event loops to run; nil means one per CPU in the process's affinity mask.
    public var workers: Int?
    public var listeners: [ListenerConfig]
    public var admin: AdminConfig?
    public var trustedProxies: [IPNetwork]
    public var limits: LimitsConfig
    public var timeouts: TimeoutsConfig
    public var upstreams: [UpstreamGroupConfig]
    public var routes: [RouteConfig]
    /// The security team's policy directory, watched and reloaded; nil: no policies.
    public var policies: PolicyConfig?
    /// One JSON line per request; nil: no access log (`access_log` absent or `destination: off`).
    public var accessLog: AccessLogConfig?
    /// One JSON line per block, ban, quarantine and policy reload; nil: none.
    public var auditLog: AuditLogConfig?
    /// How uploads are scanned (`uploads:` policy rules); nil: the defaults (libclamav, `signatures/`).
    public var scanner: ScannerConfig?
    /// The shared rate-limit store; nil: every rule counts in process.
    public var redis: RedisConfig?
    /// The MaxMind-format database for `geo:` rules and `X-Geo-*`; nil: none.
    public var geo: GeoConfig?

    public init(
        workers: Int? = nil, listeners: [ListenerConfig], admin: AdminConfig? = nil,
        trustedProxies: [IPNetwork] = [], limits: LimitsConfig = .init(), timeouts: TimeoutsConfig = .init(),
        upstreams: [UpstreamGroupConfig], routes: [RouteConfig], policies: PolicyConfig? = nil,
        accessLog: AccessLogConfig? = nil, auditLog: AuditLogConfig? = nil, scanner: ScannerConfig? = nil, redis: RedisConfig? = nil
    ) {
        self.workers = workers
        self.listeners = listeners
        self.admin = admin
        self.trustedProxies = trustedProxies
        self.limits = limits
        self.timeouts = timeouts
        self.upstreams = upstreams
        self.routes = routes
        self.policies = policies
        self.accessLog = accessLog
        self.auditLog = auditLog
        self.scanner = scanner
        self.redis = redis
    }
}

/// The access log: where it goes, how much of the allowed traffic it keeps, which request
/// headers it shows.
public struct AccessLogConfig: Sendable {
    public var destination: LogDestination
    /// Share of sampleable requests logged (status < 400, no block or shadow hit): 0.0 to 1.0.
    /// Every other request is always logged.
    public var sampleAllowed: Double = 1
    /// Request headers written as fields of their own (`User-Agent` → `user_agent`).
    public var logHeaders: [String] = []
    /// Headers written as `REDACTED` when present; added to `AccessLogFormat.alwaysRedacted`
    /// (Authorization, Cookie, Proxy-Authorization, X-Api-Key), which cannot be switched off.
    public var redactHeaders: [String] = []

    public init(destination: LogDestination, sampleAllowed: Double = 1, logHeaders: [String] = [], redactHeaders: [String] = []) {
        self.destination = destination
        self.sampleAllowed = sampleAllowed
        self.logHeaders = logHeaders
        self.redactHeaders = redactHeaders
    }
}

/// The audit log: what the gateway blocked, banned, quarantined, and every policy reload.
public struct AuditLogConfig: Sendable {
    public var destination: LogDestination

    public init(destination: LogDestination) { self.destination = destination }
}

/// Where the policy files are and how often they are checked for changes.
public struct PolicyConfig: Sendable {
    /// Relative paths are relative to the working directory, like every path in the config.
    public var directory: String
    /// How often the files' modification times are compared; SIGHUP reloads at once as well.
    public var reloadInterval: Int64 = 500_000_000

    public init(directory: String, reloadInterval: Int64 = 500_000_000) {
        self.directory = directory
        self.reloadInterval = reloadInterval
    }
}

public struct ListenerConfig: Sendable {
    public var name: String
    public var address: HostPort
    /// Host names accepted in absolute-form request targets (`GET http://name/ HTTP/1.1`).
    public var serverNames: [String]
    /// TLS termination; nil for plain HTTP.
    public var tls: TLSConfig?
    public var http2 = HTTP2Config()
    /// A plain listener answers every request with 308 to the HTTPS URL. Defaults to true when
    /// some listener has TLS.
    public var redirectToHTTPS = false

    public init(name: String, address: HostPort, serverNames: [String] = [], tls: TLSConfig? = nil) {
        self.name = name
        self.address = address
        self.serverNames = serverNames
        self.tls = tls
    }
}

public struct AdminConfig: Sendable {
    public var address: HostPort
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// `metrics: false` records no request metrics and serves no `/metrics` (to measure what they cost).
    public var metrics = true

    public init(address: HostPort, metricsToken: String? = nil, metrics: Bool = true) {
        self.address = address
        self.metricsToken = metricsToken
        self.metrics = metrics
    }
}

public struct LimitsConfig: Sendable {
    public var maxHeaderBytes = 32 * 1024
    public var maxHeaderCount = 100
    public var maxURIBytes = 8 * 1024
    public var maxBodyBytes = 64 * 1024 * 1024
    public var maxConnections = 10_000
    /// Clients tracked by the in-process rate-limit store (each about 170 bytes); beyond it the
    /// stalest is forgotten.
    public var maxRateLimitKeys = 100_000

    public init() {}
}

/// Every timeout in nanoseconds.
public struct TimeoutsConfig: Sendable {
    public var headerRead: Int64 = 10_000_000_000
    public var clientIdle: Int64 = 75_000_000_000
    public var upstreamConnect: Int64 = 2_000_000_000
    public var upstreamResponse: Int64 = 30_000_000_000
    public var upstreamIdle: Int64 = 60_000_000_000
    public var tunnelIdle: Int64 = 600_000_000_000
    public var drain: Int64 = 20_000_000_000

    public init() {}
}

public enum BalanceStrategy: String, Sendable, CaseIterable {
    case roundRobin = "round_robin"
    case leastOutstanding = "least_outstanding"
}

public struct UpstreamGroupConfig: Sendable {
    public var name: String
    public var endpoints: [HostPort]
    public var balance: BalanceStrategy = .roundRobin
    /// Idle keep-alive connections kept per endpoint on each event loop.
    public var maxIdlePerEndpoint = 64
    public var idleTimeout: Int64 = 60_000_000_000
    /// Consecutive failures that eject an endpoint.
    public var maxFailures = 3
    public var ejectionBase: Int64 = 5_000_000_000
    public var ejectionMax: Int64 = 120_000_000_000

    public init(name: String, endpoints: [HostPort]) {
        self.name = name
        self.endpoints = endpoints
    }
}

public struct RouteConfig: Sendable {
    public var name: String
    /// Host names this route serves (`example.com`, `*.example.com`); empty means any host.
    public var hosts: [String]
    public var pathPrefix: String
    public var upstream: String
    /// Overrides `limits.max_body_bytes` for this route.
    public var maxBodyBytes: Int?
    /// Forward `Upgrade` requests (WebSocket) and tunnel the connection after the upstream's 101.
    public var allowUpgrade: Bool

    public init(name: String, hosts: [String] = [], pathPrefix: String = "/", upstream: String, maxBodyBytes: Int? = nil, allowUpgrade: Bool = false) {
        self.name = name
        self.hosts = hosts
        self.pathPrefix = pathPrefix
        self.upstream = upstream
        self.maxBodyBytes = maxBodyBytes
        self.allowUpgrade = allowUpgrade
    }
}
