/// What `portcullis top` shows, computed from two scrapes of `/metrics` taken `seconds` apart:
/// rates from counter increases, percentiles from histogram bucket increases (interpolated inside
/// a bucket as Prometheus's `histogram_quantile` does), gauges as they are now.
///
/// Without a previous scrape every rate and percentile is nil (shown as "—").
public struct TopStatistics: Sendable {
    public struct Route: Sendable, Equatable {
        public var name: String
        public var requestsPerSecond: Double?
        public var p50: Double?
        public var p99: Double?
        /// The gateway's own part (`portcullis_gateway_overhead_seconds`), p99 over the interval.
        public var overheadP99: Double?
        /// Requests per second by status class (`1xx` … `5xx`).
        public var statusRates: [String: Double]
        /// Requests since the gateway started.
        public var requests: Double
    }

    public struct Upstream: Sendable, Equatable {
        public var name: String
        public var endpoints: Int
        public var endpointsUp: Int
        /// The endpoints ejected now, by name.
        public var down: [String]
        public var p99: Double?
        public var failuresPerSecond: Double?
        public var retriesPerSecond: Double?
        /// Ejections since the gateway started, and in the interval.
        public var ejections: Double
        public var ejectionsInInterval: Double?
        public var idleConnections: Double

        public var state: String {
            if endpoints == 0 { return "none" }
            if endpointsUp == endpoints { return "up" }
            return endpointsUp == 0 ? "down" : "degraded"
        }
    }

    public struct Rule: Sendable, Equatable {
        public var name: String
        public var mode: String
        public var refusalsPerSecond: Double?
        public var bansPerSecond: Double?
        public var refusals: Double
        public var bans: Double
    }

    /// One policy rule's decisions of one kind (`portcullis_policy_decisions_total`), its outcomes
    /// grouped as a person reads them: let through, blocked, shadow (would have blocked), failed.
    public struct Decisions: Sendable, Equatable {
        public var kind: String
        public var rule: String
        public var passedPerSecond: Double?
        public var blockedPerSecond: Double?
        public var shadowPerSecond: Double?
        public var failedPerSecond: Double?
        /// Blocks since the gateway started.
        public var blocked: Double

        enum Group { case passed, blocked, shadow, failed }

        /// Unknown outcomes (a newer gateway) count as blocked: a block is what must not be missed.
        static func group(of outcome: String) -> Group {
            switch AccessLogDecision.Outcome(rawValue: outcome) {
            case .allowed?, .applied?, .clean?, .granted?, .preflight?: return .passed
            case .shadow?: return .shadow
            case .storeError?, .scannerError?: return .failed
            default: return .blocked
            }
        }
    }

    public struct Listener: Sendable, Equatable {
        public var name: String
        public var openHTTP1: Double
        public var openHTTP2: Double
        public var acceptedPerSecond: Double?
        /// False for a plain listener (it has no handshake counters).
        public var tls: Bool
        public var handshakesPerSecond: Double?
        /// Handshakes that did not complete (failed, closed, timeout) per second, and since start.
        public var tlsFailuresPerSecond: Double?
        public var tlsFailures: Double
    }

    public static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    public var version: String?
    /// The seconds between the two scrapes; nil for the first.
    public var interval: Double?
    public var requestsPerSecond: Double?
    public var statusRates: [String: Double] = [:]
    public var routes: [Route] = []
    public var upstreams: [Upstream] = []
    public var rules: [Rule] = []
    public var decisions: [Decisions] = []
    public var listeners: [Listener] = []
    public var policyDigest: String?
    public var policyRules: String?
    public var reloadsOK: Double?
    public var reloadsFailed: Double?
    public var logLinesDropped: Double?
    public var logLinesDroppedPerSecond: Double?
    public var rateLimitKeys: Double?
    public var rateLimitKeyCapacity: Double?

    public var openConnections: Double { listeners.reduce(0) { $0 + $1.openHTTP1 + $1.openHTTP2 } }

    public init(previous: MetricsPage?, current: MetricsPage, seconds: Double) {
        let delta = Increase(previous: previous, current: current)
        let seconds = max(seconds, 1e-9)
        func perSecond(_ increase: Double?) -> Double? { increase.map { $0 / seconds } }
        interval = previous == nil ? nil : seconds
        version = current.samples("portcullis_build_info").first?["version"]

        // Requests: every route, in config order (the overhead histogram lists them all).
        let requestCount = "portcullis_request_duration_seconds_count"
        var routeNames: [String] = []
        for sample in current.samples("portcullis_gateway_overhead_seconds_count") + current.samples(requestCount) {
            if let route = sample["route"], !routeNames.contains(route) { routeNames.append(route) }
        }
        requestsPerSecond = perSecond(delta.sum(requestCount) { _ in true })
        if previous != nil {
            for statusClass in Self.statusClasses {
                statusRates[statusClass] = perSecond(delta.sum(requestCount) { $0["status_class"] == statusClass }) ?? 0
            }
        }
        routes = routeNames.map { route in
            let ofRoute: (MetricSample) -> Bool = { $0["route"] == route }
            var rates: [String: Double] = [:]
            if previous != nil {
                for statusClass in Self.statusClasses {
                    rates[statusClass] = perSecond(delta.sum(requestCount) { $0["route"] == route && $0["status_class"] == statusClass }) ?? 0
                }
            }
            let buckets = delta.buckets("portcullis_request_duration_seconds_bucket", where: ofRoute)
            return Route(
                name: route,
                requestsPerSecond: perSecond(delta.sum(requestCount, where: ofRoute)),
                p50: buckets.flatMap { Self.histogramQuantile(0.5, $0) },
                p99: buckets.flatMap { Self.histogramQuantile(0.99, $0) },
                overheadP99: delta.buckets("portcullis_gateway_overhead_seconds_bucket", where: ofRoute).flatMap { Self.histogramQuantile(0.99, $0) },
                statusRates: rates,
                requests: current.samples(requestCount).filter(ofRoute).reduce(0) { $0 + $1.value }
            )
        }

        // Upstreams: the groups in config order, from the endpoint health gauge and the histograms.
        var upstreamNames: [String] = []
        for sample in current.samples("portcullis_upstream_duration_seconds_count") + current.samples("portcullis_upstream_endpoint_healthy") {
            if let upstream = sample["upstream"], !upstreamNames.contains(upstream) { upstreamNames.append(upstream) }
        }
        upstreams = upstreamNames.map { upstream in
            let ofUpstream: (MetricSample) -> Bool = { $0["upstream"] == upstream }
            let health = current.samples("portcullis_upstream_endpoint_healthy").filter(ofUpstream)
            return Upstream(
                name: upstream,
                endpoints: health.count,
                endpointsUp: health.filter { $0.value >= 1 }.count,
                down: health.filter { $0.value < 1 }.compactMap { $0["endpoint"] },
                p99: delta.buckets("portcullis_upstream_duration_seconds_bucket", where: ofUpstream).flatMap { Self.histogramQuantile(0.99, $0) },
                failuresPerSecond: perSecond(delta.sum("portcullis_upstream_failures_total", where: ofUpstream)),
                retriesPerSecond: perSecond(delta.sum("portcullis_upstream_retries_total", where: ofUpstream)),
                ejections: Self.total(current, "portcullis_upstream_ejections_total", where: ofUpstream),
                ejectionsInInterval: delta.sum("portcullis_upstream_ejections_total", where: ofUpstream),
                idleConnections: Self.total(current, "portcullis_upstream_idle_connections", where: ofUpstream)
            )
        }

        // Decisions: the rate-limit rules of the policy in force.
        for sample in current.samples("portcullis_rate_limit_refusals_total") {
            guard let rule = sample["rule"] else { continue }
            let mode = sample["mode"] ?? ""
            let ofRule: (MetricSample) -> Bool = { $0["rule"] == rule && ($0["mode"] ?? "") == mode }
            rules.append(Rule(
                name: rule,
                mode: mode,
                refusalsPerSecond: perSecond(delta.sum("portcullis_rate_limit_refusals_total", where: ofRule)),
                bansPerSecond: perSecond(delta.sum("portcullis_rate_limit_bans_total", where: ofRule)),
                refusals: sample.value,
                bans: Self.total(current, "portcullis_rate_limit_bans_total", where: ofRule)
            ))
        }

        // Every policy decision, by kind and rule, in the order the page lists them.
        let decisionsName = "portcullis_policy_decisions_total"
        var decisionKeys: [[String]] = []
        for sample in current.samples(decisionsName) {
            guard let kind = sample["kind"], let rule = sample["rule"], !decisionKeys.contains([kind, rule]) else { continue }
            decisionKeys.append([kind, rule])
        }
        decisions = decisionKeys.map { key in
            func of(_ group: Decisions.Group) -> (MetricSample) -> Bool {
                { $0["kind"] == key[0] && $0["rule"] == key[1] && Decisions.group(of: $0["outcome"] ?? "") == group }
            }
            return Decisions(
                kind: key[0], rule: key[1],
                passedPerSecond: perSecond(delta.sum(decisionsName, where: of(.passed))),
                blockedPerSecond: perSecond(delta.sum(decisionsName, where: of(.blocked))),
                shadowPerSecond: perSecond(delta.sum(decisionsName, where: of(.shadow))),
                failedPerSecond: perSecond(delta.sum(decisionsName, where: of(.failed))),
                blocked: Self.total(current, decisionsName, where: of(.blocked))
            )
        }

        // Listeners: connections and TLS handshakes.
        var listenerNames: [String] = []
        for sample in current.samples("portcullis_connections_accepted_total") + current.samples("portcullis_open_connections") {
            if let listener = sample["listener"], !listenerNames.contains(listener) { listenerNames.append(listener) }
        }
        listeners = listenerNames.map { listener in
            let ofListener: (MetricSample) -> Bool = { $0["listener"] == listener }
            let handshakes = "portcullis_tls_handshakes_total"
            let failed: (MetricSample) -> Bool = { $0["listener"] == listener && $0["outcome"] != "completed" }
            return Listener(
                name: listener,
                openHTTP1: Self.total(current, "portcullis_open_connections") { ofListener($0) && $0["protocol"] == "http1" },
                openHTTP2: Self.total(current, "portcullis_open_connections") { ofListener($0) && $0["protocol"] == "http2" },
                acceptedPerSecond: perSecond(delta.sum("portcullis_connections_accepted_total", where: ofListener)),
                tls: current.samples(handshakes).contains(where: ofListener),
                handshakesPerSecond: perSecond(delta.sum(handshakes) { ofListener($0) && $0["outcome"] == "completed" }),
                tlsFailuresPerSecond: perSecond(delta.sum(handshakes, where: failed)),
                tlsFailures: Self.total(current, handshakes, where: failed)
            )
        }

        if let info = current.samples("portcullis_policy_info").first {
            policyDigest = info["digest"]
            policyRules = info["rules"]
        }
        reloadsOK = current.value("portcullis_policy_reloads_total", ["result": "ok"])
        reloadsFailed = current.value("portcullis_policy_reloads_total", ["result": "failed"])
        let dropped: (MetricSample) -> Bool = { $0["result"] == "dropped" }
        if current.family("portcullis_log_lines_total") != nil {
            logLinesDropped = Self.total(current, "portcullis_log_lines_total", where: dropped)
            logLinesDroppedPerSecond = perSecond(delta.sum("portcullis_log_lines_total", where: dropped))
        }
        rateLimitKeys = current.value("portcullis_rate_limit_tracked_keys")
        rateLimitKeyCapacity = current.value("portcullis_rate_limit_key_capacity")
    }

    private static func total(_ page: MetricsPage, _ name: String, where matches: (MetricSample) -> Bool = { _ in true }) -> Double {
        page.samples(name).filter(matches).reduce(0) { $0 + $1.value }
    }

    /// The `q` quantile of a histogram given as cumulative bucket counts by upper bound (the last
    /// one +Inf), exactly as Prometheus's `histogram_quantile` computes it: find the bucket the
    /// rank falls in and interpolate linearly inside it (from 0 for the first bucket); a rank in
    /// the +Inf bucket answers the highest finite bound. Nil when there are no observations.
    public static func histogramQuantile(_ q: Double, _ buckets: [(upperBound: Double, count: Double)]) -> Double? {
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var buckets = buckets.sorted { $0.upperBound < $1.upperBound }
        guard buckets.count >= 2, buckets.last!.upperBound == .infinity else { return nil }
        // Counts taken at slightly different moments may decrease; Prometheus makes them monotonic.
        var maximum = -Double.infinity
        for index in buckets.indices {
            if buckets[index].count > maximum { maximum = buckets[index].count } else { buckets[index].count = maximum }
        }
        let observations = buckets.last!.count
        guard observations > 0 else { return nil }
        var rank = q * observations
        var bucket = buckets.count - 1
        for index in 0..<(buckets.count - 1) where buckets[index].count >= rank {
            bucket = index
            break
        }
        if bucket == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
        if bucket == 0, buckets[0].upperBound <= 0 { return buckets[0].upperBound }
        var start = 0.0
        var count = buckets[bucket].count
        if bucket > 0 {
            start = buckets[bucket - 1].upperBound
            count -= buckets[bucket - 1].count
            rank -= buckets[bucket - 1].count
        }
        return start + (buckets[bucket].upperBound - start) * (rank / count)
    }
}

/// Counter increases between two pages, series by series: a series whose value went down was
/// reset (a restart, a rule reloaded) and counts from zero, as Prometheus's `increase()` does; a
/// series new in the current page counts from zero.
private struct Increase {
    let previous: [String: Double]?
    let current: MetricsPage

    init(previous: MetricsPage?, current: MetricsPage) {
        self.current = current
        guard let previous else {
            self.previous = nil
            return
        }
        var values: [String: Double] = [:]
        for family in previous.families {
            for sample in family.samples { values[Self.key(sample)] = sample.value }
        }
        self.previous = values
    }

    static func key(_ sample: MetricSample) -> String {
        var key = sample.name
        for (label, value) in sample.labels.sorted(by: { $0.key < $1.key }) {
            key += "\u{1}\(label)\u{2}\(value)"
        }
        return key
    }

    func increase(_ sample: MetricSample, previous: [String: Double]) -> Double {
        let before = previous[Self.key(sample)] ?? 0
        return sample.value >= before ? sample.value - before : sample.value
    }

    /// The summed increase of the matching series; nil without a previous page.
    func sum(_ name: String, where matches: (MetricSample) -> Bool) -> Double? {
        guard let previous else { return nil }
        return current.samples(name).filter(matches).reduce(0) { $0 + increase($1, previous: previous) }
    }

    /// The matching `_bucket` series' increases summed by `le`, sorted by bound; nil without a
    /// previous page.
    func buckets(_ name: String, where matches: (MetricSample) -> Bool) -> [(upperBound: Double, count: Double)]? {
        guard let previous else { return nil }
        var byBound: [Double: Double] = [:]
        for sample in current.samples(name) where matches(sample) {
            guard let le = sample["le"], let bound = PrometheusTextParser.parseValue(le) else { continue }
            byBound[bound, default: 0] += increase(sample, previous: previous)
        }
        return byBound.sorted { $0.key < $1.key }.map { (upperBound: $0.key, count: $0.value) }
    }
}
