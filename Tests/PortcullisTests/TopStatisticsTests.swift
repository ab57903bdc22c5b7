import Testing
@testable import Portcullis

/// Rates and percentiles of `portcullis top` from two synthetic scrapes two seconds apart.
@Suite struct TopStatisticsTests {
    static let bounds = ["0.001", "0.0025", "0.005", "0.01", "+Inf"]

    /// A histogram's bucket, sum and count lines from cumulative counts (one per bound).
    static func histogram(_ name: String, _ labels: String, _ cumulative: [Int]) -> String {
        var lines = zip(bounds, cumulative).map { "\(name)_bucket{\(labels),le=\"\($0)\"} \($1)" }
        lines.append("\(name)_sum{\(labels)} 0.5")
        lines.append("\(name)_count{\(labels)} \(cumulative.last!)")
        return lines.joined(separator: "\n")
    }

    static let before = """
        # TYPE portcullis_build_info gauge
        portcullis_build_info{version="1.2.3"} 1
        # TYPE portcullis_request_duration_seconds histogram
        \(histogram("portcullis_request_duration_seconds", #"route="app",method="GET",status_class="2xx""#, [100, 150, 160, 160, 160]))
        # TYPE portcullis_gateway_overhead_seconds histogram
        \(histogram("portcullis_gateway_overhead_seconds", #"route="app""#, [160, 160, 160, 160, 160]))
        \(histogram("portcullis_gateway_overhead_seconds", #"route="quiet""#, [0, 0, 0, 0, 0]))
        # TYPE portcullis_upstream_duration_seconds histogram
        \(histogram("portcullis_upstream_duration_seconds", #"upstream="app""#, [0, 0, 0, 0, 0]))
        # TYPE portcullis_upstream_failures_total counter
        portcullis_upstream_failures_total{upstream="app"} 5
        # TYPE portcullis_upstream_retries_total counter
        portcullis_upstream_retries_total{upstream="app"} 1
        # TYPE portcullis_upstream_idle_connections gauge
        portcullis_upstream_idle_connections{upstream="app"} 2
        # TYPE portcullis_upstream_endpoint_healthy gauge
        portcullis_upstream_endpoint_healthy{upstream="app",endpoint="127.0.0.1:3000"} 1
        portcullis_upstream_endpoint_healthy{upstream="app",endpoint="127.0.0.1:3001"} 1
        # TYPE portcullis_upstream_ejections_total counter
        portcullis_upstream_ejections_total{upstream="app",endpoint="127.0.0.1:3000"} 0
        portcullis_upstream_ejections_total{upstream="app",endpoint="127.0.0.1:3001"} 2
        # TYPE portcullis_connections_accepted_total counter
        portcullis_connections_accepted_total{listener="https"} 10
        portcullis_connections_accepted_total{listener="http"} 0
        # TYPE portcullis_open_connections gauge
        portcullis_open_connections{listener="https",protocol="http1"} 0
        portcullis_open_connections{listener="https",protocol="http2"} 0
        portcullis_open_connections{listener="http",protocol="http1"} 0
        portcullis_open_connections{listener="http",protocol="http2"} 0
        # TYPE portcullis_tls_handshakes_total counter
        portcullis_tls_handshakes_total{listener="https",outcome="completed"} 5
        portcullis_tls_handshakes_total{listener="https",outcome="failed"} 1
        portcullis_tls_handshakes_total{listener="https",outcome="closed"} 0
        portcullis_tls_handshakes_total{listener="https",outcome="timeout"} 0
        # TYPE portcullis_rate_limit_refusals_total counter
        portcullis_rate_limit_refusals_total{rule="login",mode="enforce"} 10
        portcullis_rate_limit_refusals_total{rule="crawl",mode="shadow"} 4
        # TYPE portcullis_rate_limit_bans_total counter
        portcullis_rate_limit_bans_total{rule="login",mode="enforce"} 1
        portcullis_rate_limit_bans_total{rule="crawl",mode="shadow"} 0
        # TYPE portcullis_log_lines_total counter
        portcullis_log_lines_total{log="access",result="written"} 160
        portcullis_log_lines_total{log="access",result="dropped"} 0
        # TYPE portcullis_policy_decisions_total counter
        portcullis_policy_decisions_total{kind="rate_limit",rule="login",outcome="allowed"} 40
        portcullis_policy_decisions_total{kind="rate_limit",rule="login",outcome="limited"} 10
        portcullis_policy_decisions_total{kind="geo",rule="adult",outcome="redirected"} 3
        """

    static let after = """
        # TYPE portcullis_build_info gauge
        portcullis_build_info{version="1.2.3"} 1
        # TYPE portcullis_request_duration_seconds histogram
        \(histogram("portcullis_request_duration_seconds", #"route="app",method="GET",status_class="2xx""#, [115, 180, 196, 197, 197]))
        \(histogram("portcullis_request_duration_seconds", #"route="app",method="POST",status_class="4xx""#, [5, 10, 12, 13, 13]))
        # TYPE portcullis_gateway_overhead_seconds histogram
        \(histogram("portcullis_gateway_overhead_seconds", #"route="app""#, [210, 210, 210, 210, 210]))
        \(histogram("portcullis_gateway_overhead_seconds", #"route="quiet""#, [0, 0, 0, 0, 0]))
        # TYPE portcullis_upstream_duration_seconds histogram
        \(histogram("portcullis_upstream_duration_seconds", #"upstream="app""#, [0, 10, 10, 10, 10]))
        # TYPE portcullis_upstream_failures_total counter
        portcullis_upstream_failures_total{upstream="app"} 8
        # TYPE portcullis_upstream_retries_total counter
        portcullis_upstream_retries_total{upstream="app"} 2
        # TYPE portcullis_upstream_idle_connections gauge
        portcullis_upstream_idle_connections{upstream="app"} 3
        # TYPE portcullis_upstream_endpoint_healthy gauge
        portcullis_upstream_endpoint_healthy{upstream="app",endpoint="127.0.0.1:3000"} 1
        portcullis_upstream_endpoint_healthy{upstream="app",endpoint="127.0.0.1:3001"} 0
        # TYPE portcullis_upstream_ejections_total counter
        portcullis_upstream_ejections_total{upstream="app",endpoint="127.0.0.1:3000"} 0
        portcullis_upstream_ejections_total{upstream="app",endpoint="127.0.0.1:3001"} 3
        # TYPE portcullis_connections_accepted_total counter
        portcullis_connections_accepted_total{listener="https"} 16
        portcullis_connections_accepted_total{listener="http"} 4
        # TYPE portcullis_open_connections gauge
        portcullis_open_connections{listener="https",protocol="http1"} 2
        portcullis_open_connections{listener="https",protocol="http2"} 1
        portcullis_open_connections{listener="http",protocol="http1"} 4
        portcullis_open_connections{listener="http",protocol="http2"} 0
        # TYPE portcullis_tls_handshakes_total counter
        portcullis_tls_handshakes_total{listener="https",outcome="completed"} 9
        portcullis_tls_handshakes_total{listener="https",outcome="failed"} 3
        portcullis_tls_handshakes_total{listener="https",outcome="closed"} 1
        portcullis_tls_handshakes_total{listener="https",outcome="timeout"} 0
        # TYPE portcullis_rate_limit_refusals_total counter
        portcullis_rate_limit_refusals_total{rule="login",mode="enforce"} 3
        portcullis_rate_limit_refusals_total{rule="crawl",mode="shadow"} 8
        # TYPE portcullis_rate_limit_bans_total counter
        portcullis_rate_limit_bans_total{rule="login",mode="enforce"} 1
        portcullis_rate_limit_bans_total{rule="crawl",mode="shadow"} 0
        # TYPE portcullis_policy_reloads_total counter
        portcullis_policy_reloads_total{result="ok"} 2
        portcullis_policy_reloads_total{result="failed"} 1
        # TYPE portcullis_policy_info gauge
        portcullis_policy_info{digest="0123456789abcdef0123",rules="7"} 1
        # TYPE portcullis_log_lines_total counter
        portcullis_log_lines_total{log="access",result="written"} 196
        portcullis_log_lines_total{log="access",result="dropped"} 4
        # TYPE portcullis_rate_limit_tracked_keys gauge
        portcullis_rate_limit_tracked_keys 12
        # TYPE portcullis_rate_limit_key_capacity gauge
        portcullis_rate_limit_key_capacity 65536
        # TYPE portcullis_policy_decisions_total counter
        portcullis_policy_decisions_total{kind="rate_limit",rule="login",outcome="allowed"} 44
        portcullis_policy_decisions_total{kind="rate_limit",rule="login",outcome="limited"} 13
        portcullis_policy_decisions_total{kind="rate_limit",rule="login",outcome="store_error"} 2
        portcullis_policy_decisions_total{kind="geo",rule="adult",outcome="redirected"} 3
        portcullis_policy_decisions_total{kind="upload",rule="uploads",outcome="infected"} 1
        portcullis_policy_decisions_total{kind="upload",rule="uploads",outcome="shadow"} 4
        """

    static func stats() throws -> TopStatistics {
        TopStatistics(previous: try PrometheusTextParser.parse(before), current: try PrometheusTextParser.parse(after), seconds: 2)
    }

    static func close(_ value: Double?, _ expected: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) < 1e-12
    }

    @Test func requestRatesComeFromCountIncreases() throws {
        let stats = try Self.stats()
        #expect(stats.interval == 2)
        // GET 2xx: 160 → 197 (+37); POST 4xx: new series, 0 → 13. 50 requests in 2 s.
        #expect(stats.requestsPerSecond == 25)
        #expect(stats.statusRates == ["1xx": 0, "2xx": 18.5, "3xx": 0, "4xx": 6.5, "5xx": 0])
        #expect(stats.routes.map(\.name) == ["app", "quiet"])
        let app = stats.routes[0]
        #expect(app.requestsPerSecond == 25)
        #expect(app.statusRates["2xx"] == 18.5)
        #expect(app.statusRates["4xx"] == 6.5)
        #expect(app.requests == 210)
        #expect(stats.routes[1].requestsPerSecond == 0)
        #expect(stats.routes[1].p99 == nil)
    }

    @Test func percentilesInterpolateInsideTheBucketOfTheIncreases() throws {
        let app = try Self.stats().routes[0]
        // Bucket increases summed over both series, by le: 0.001 → 20, 0.0025 → 40, 0.005 → 48,
        // 0.01 → 50, +Inf → 50.
        // p50: rank 25 falls in (0.001, 0.0025] holding 20; 5 into it: 0.001 + 0.0015 × 5/20.
        #expect(Self.close(app.p50, 0.001375))
        // p99: rank 49.5 falls in (0.005, 0.01] holding 2; 1.5 into it: 0.005 + 0.005 × 1.5/2.
        #expect(Self.close(app.p99, 0.00875))
        // Overhead: all 50 in the first bucket, interpolated from 0: 0.001 × 49.5/50.
        #expect(Self.close(app.overheadP99, 0.00099))
    }

    @Test func upstreamHealthEjectionsAndFailures() throws {
        let upstream = try #require(try Self.stats().upstreams.first)
        #expect(upstream.name == "app")
        #expect(upstream.endpoints == 2)
        #expect(upstream.endpointsUp == 1)
        #expect(upstream.state == "degraded")
        #expect(upstream.down == ["127.0.0.1:3001"])
        #expect(upstream.ejections == 3)
        #expect(upstream.ejectionsInInterval == 1)
        #expect(upstream.failuresPerSecond == 1.5)
        #expect(upstream.retriesPerSecond == 0.5)
        #expect(upstream.idleConnections == 3)
        // 10 in (0.001, 0.0025]: p99 at rank 9.9, 0.001 + 0.0015 × 9.9/10.
        #expect(Self.close(upstream.p99, 0.002485))
    }

    @Test func decisionRatesSurviveACounterReset() throws {
        let rules = try Self.stats().rules
        #expect(rules.map(\.name) == ["login", "crawl"])
        // login went 10 → 3: reloaded, so it counts from 0 — 3 in 2 s.
        #expect(rules[0].refusalsPerSecond == 1.5)
        #expect(rules[0].bansPerSecond == 0)
        #expect(rules[0].refusals == 3)
        #expect(rules[0].bans == 1)
        #expect(rules[1].mode == "shadow")
        #expect(rules[1].refusalsPerSecond == 2)
    }

    @Test func listenersTLSPolicyAndLogs() throws {
        let stats = try Self.stats()
        #expect(stats.listeners.map(\.name) == ["https", "http"])
        let https = stats.listeners[0]
        #expect(https.tls)
        #expect(https.openHTTP1 == 2)
        #expect(https.openHTTP2 == 1)
        #expect(https.acceptedPerSecond == 3)
        #expect(https.handshakesPerSecond == 2)
        #expect(https.tlsFailuresPerSecond == 1.5)  // failed +2, closed +1
        #expect(https.tlsFailures == 4)
        #expect(!stats.listeners[1].tls)
        #expect(stats.openConnections == 7)
        #expect(stats.version == "1.2.3")
        #expect(stats.policyDigest == "0123456789abcdef0123")
        #expect(stats.policyRules == "7")
        #expect(stats.reloadsOK == 2)
        #expect(stats.reloadsFailed == 1)
        #expect(stats.logLinesDropped == 4)
        #expect(stats.logLinesDroppedPerSecond == 2)
        #expect(stats.rateLimitKeys == 12)
        #expect(stats.rateLimitKeyCapacity == 65536)
    }

    @Test func decisionsOfEveryKindAreGroupedByWhatTheyDid() throws {
        let stats = try Self.stats()
        #expect(stats.decisions.map { "\($0.kind)/\($0.rule)" } == ["rate_limit/login", "geo/adult", "upload/uploads"])
        let login = stats.decisions[0]
        #expect(login.passedPerSecond == 2 && login.blockedPerSecond == 1.5 && login.failedPerSecond == 1 && login.shadowPerSecond == 0)
        #expect(login.blocked == 13)
        let geo = stats.decisions[1]
        #expect(geo.blockedPerSecond == 0 && geo.blocked == 3)
        // A series new in this scrape counts from zero.
        let upload = stats.decisions[2]
        #expect(upload.blockedPerSecond == 0.5 && upload.shadowPerSecond == 2 && upload.blocked == 1)
        let lines = TopView.render(stats, source: "127.0.0.1:9090", time: "12:00:00")
        #expect(lines.contains { $0.hasPrefix("rate_limit login") && $0.hasSuffix("13") })
        #expect(lines.contains { $0.hasPrefix("upload     uploads") })
    }

    @Test func theFirstScrapeHasNoRates() throws {
        let stats = TopStatistics(previous: nil, current: try PrometheusTextParser.parse(Self.after), seconds: 0)
        #expect(stats.interval == nil)
        #expect(stats.requestsPerSecond == nil)
        #expect(stats.routes[0].requestsPerSecond == nil)
        #expect(stats.routes[0].p99 == nil)
        #expect(stats.routes[0].requests == 210)
        #expect(stats.upstreams[0].state == "degraded")
        #expect(stats.openConnections == 7)
    }

    @Test func histogramQuantileFollowsPrometheus() {
        let buckets: [(upperBound: Double, count: Double)] = [(0.1, 10), (0.2, 10), (.infinity, 10)]
        #expect(TopStatistics.histogramQuantile(0.5, buckets) == 0.05)  // from 0 in the first bucket
        #expect(TopStatistics.histogramQuantile(1, buckets) == 0.1)
        // A rank in the +Inf bucket answers the highest finite bound.
        #expect(TopStatistics.histogramQuantile(0.99, [(0.1, 1), (0.2, 2), (.infinity, 10)]) == 0.2)
        #expect(TopStatistics.histogramQuantile(0.5, [(0.1, 0), (.infinity, 0)]) == nil)
        #expect(TopStatistics.histogramQuantile(0.5, [(0.1, 3)]) == nil)  // no +Inf bucket
        #expect(TopStatistics.histogramQuantile(-1, buckets) == -.infinity)
        #expect(TopStatistics.histogramQuantile(2, buckets) == .infinity)
        // Unsorted input and a non-monotonic count (taken mid-update) are repaired first.
        #expect(TopStatistics.histogramQuantile(0.5, [(.infinity, 4), (0.2, 3), (0.1, 4)]) == 0.05)
    }

    @Test func theFrameFitsAHundredColumnsAndIsPlainWithoutATerminal() throws {
        let lines = TopView.render(try Self.stats(), source: "127.0.0.1:9090", time: "12:00:00")
        for line in lines { #expect(line.count <= 100, "\(line.count) columns: \(line)") }
        let text = lines.joined(separator: "\n")
        #expect(!text.contains("\u{1B}"))
        #expect(lines.contains { $0.hasPrefix("app") && $0.contains("25.0") && $0.contains("8.75ms") && $0.contains("990µs") })
        #expect(lines.contains { $0.hasPrefix("app") && $0.contains("degraded") && $0.contains("1/2") && $0.hasSuffix("127.0.0.1:3001") })
        #expect(lines.contains { $0.hasPrefix("login") && $0.contains("enforce") && $0.contains("1.5") })
        #expect(text.contains("requests 25.0/s  (1xx 0.0  2xx 18.5  3xx 0.0  4xx 6.5  5xx 0.0)  · open connections 7"))
        #expect(text.contains("policy 0123456789ab (7 rules) · reloads 2 ok, 1 failed · log lines dropped 4 (2.0/s)"))
        #expect(lines.last == "rate-limit keys 12/65536")

        let colored = TopView.render(try Self.stats(), source: "127.0.0.1:9090", time: "12:00:00", ansi: true)
        #expect(colored.joined().contains("\u{1B}[1m"))
        let screen = TopView.screen(colored, first: true)
        #expect(screen.hasPrefix("\u{1B}[2J\u{1B}[H"))
        #expect(screen.hasSuffix("\u{1B}[J"))
    }

    @Test(arguments: [
        (0.00042, "420µs"), (0.00099, "990µs"), (0.00875, "8.75ms"), (0.25, "250.00ms"), (2.5, "2.50s"),
    ])
    func formatsDurations(seconds: Double, text: String) {
        #expect(TopView.duration(seconds) == text)
    }

    @Test func ejectedEndpointsThatDoNotFitAreCounted() {
        #expect(TopView.downList(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"], width: 40) == "10.0.0.1:80 10.0.0.2:80 10.0.0.3:80")
        #expect(TopView.downList(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"], width: 20) == "10.0.0.1:80 +2")
        #expect(TopView.downList(["backend-number-one.internal:8080", "b:1"], width: 20) == "backend-number-o… +1")
    }

    @Test func formatsNumbersWithoutFoundation() {
        #expect(TopView.fixed(18.5, 1) == "18.5")
        #expect(TopView.fixed(0.04, 1) == "0.0")
        #expect(TopView.fixed(-2.25, 1) == "-2.3")
        #expect(TopView.fixed(1234567, 0) == "1234567")
        #expect(TopView.fixed(0.05, 2) == "0.05")
        #expect(TopView.rate(nil) == "—")
    }
}
