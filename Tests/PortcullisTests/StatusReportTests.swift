import Crypto
import Foundation
import Logging
import Testing
@testable import Portcullis

/// `/status.json`'s shape (what the status page's script reads) and the page's own guarantees.
@Suite struct StatusReportTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func makeRuntime() throws -> GatewayRuntime {
        let config = try ConfigLoader.parse(yaml: """
            listeners:
              - { name: http, address: 127.0.0.1:8080, server_names: [localhost] }
            upstreams:
              app: { endpoints: [127.0.0.1:3000, 127.0.0.1:3001] }
            routes:
              - { name: api, path_prefix: /api/, upstream: app }
              - { name: site, path_prefix: /, upstream: app }
            """, file: "test.yaml", environment: [:])
        return try GatewayRuntime(config: config, logger: Logger(label: "test"))
    }

    private func json(_ report: StatusReport) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(report.json().utf8))
        return try #require(object as? [String: Any])
    }

    @Test func reportCarriesRoutesLatencyBucketsAndSharedState() throws {
        let runtime = try makeRuntime()
        let metrics = LoopMetrics(routes: 2, upstreams: 1, listeners: 1)
        for _ in 1...3 { metrics.recordRequest(route: 0, method: .GET, status: 200, totalNanoseconds: 800_000, upstreamNanoseconds: 500_000, bytesIn: 0, bytesOut: 10) }
        metrics.recordRequest(route: 0, method: .POST, status: 429, totalNanoseconds: 40_000, upstreamNanoseconds: nil, bytesIn: 2, bytesOut: 100)
        metrics.recordRequest(route: nil, method: nil, status: 400, totalNanoseconds: 10_000, upstreamNanoseconds: nil, bytesIn: 0, bytesOut: 50)
        metrics.connectionOpened(listener: 0)
        metrics.protocolStarted(listener: 0, http2: false)
        let policy = try PolicyLoader.load(directory: Self.repositoryRoot.appendingPathComponent("policies").path)
        let login = try #require(policy.rateLimits.rules.first { $0.name == "login" })
        login.limitedCount.store(2, ordering: .relaxed)
        let report = StatusReport(runtime: runtime, data: metrics.data, policy: .init(set: policy, succeeded: 1, failed: 0, lastProblems: nil), logs: [], uptimeNanoseconds: 12_500_000_000)
        let status = try json(report)

        #expect(status["version"] as? String == PortcullisVersion.string)
        #expect(status["uptime_seconds"] as? Double == 12.5)
        let bounds = try #require(status["buckets_seconds"] as? [Double])
        #expect(bounds.count == LatencyBuckets.bounds.count)
        #expect(bounds.first == 0.00005)
        #expect(bounds.last == 60)
        #expect(status["status_classes"] as? [String] == ["1xx", "2xx", "3xx", "4xx", "5xx"])

        let routes = try #require(status["routes"] as? [[String: Any]])
        #expect(routes.map { $0["name"] as? String } == ["api", "site", "none"])
        let api = routes[0]
        #expect(api["upstream"] as? String == "app")
        #expect(api["path_prefix"] as? String == "/api/")
        #expect(api["requests"] as? Int == 4)
        #expect(api["status_classes"] as? [String: Int] == ["1xx": 0, "2xx": 3, "3xx": 0, "4xx": 1, "5xx": 0])
        let buckets = try #require(api["buckets"] as? [Int])
        #expect(buckets.count == LatencyBuckets.count)  // the bounds and +Inf
        #expect(buckets[LatencyBuckets.index(of: 800_000)] == 3)
        #expect(buckets[0] == 1)  // 40 µs ≤ 50 µs
        #expect(buckets.reduce(0, +) == 4)
        #expect(api["bytes_out"] as? Int == 130)
        #expect(routes[2]["requests"] as? Int == 1)
        #expect(routes[2]["upstream"] == nil)

        let listener = try #require((status["listeners"] as? [[String: Any]])?.first)
        #expect(listener["name"] as? String == "http")
        #expect(listener["accepted"] as? Int == 1)
        #expect(listener["open_http1"] as? Int == 1)
        #expect(listener["tls_handshakes"] == nil)  // a plain listener

        let upstream = try #require((status["upstreams"] as? [[String: Any]])?.first)
        let endpoints = try #require(upstream["endpoints"] as? [[String: Any]])
        #expect(endpoints.map { $0["name"] as? String } == ["127.0.0.1:3000", "127.0.0.1:3001"])
        #expect(endpoints.allSatisfy { $0["healthy"] as? Bool == true && $0["ejections"] as? Int == 0 })
        #expect((status["rate_limit_store"] as? [String: Any])?["capacity"] is Int)

        let policyFigures = try #require(status["policy"] as? [String: Any])
        #expect(policyFigures["digest"] as? String == policy.digest)
        #expect(policyFigures["reloads_ok"] as? Int == 1)
        #expect((policyFigures["files"] as? [String])?.contains("rate-limits.yaml") == true)
        let rules = try #require(policyFigures["rules"] as? [[String: Any]])
        #expect(rules.count == policy.ruleNames.count)
        #expect(Set(rules.compactMap { $0["kind"] as? String }) == ["headers", "cors", "rate_limit", "upload", "geo"])
        let geoFigures = try #require(rules.first { $0["kind"] as? String == "geo" })
        #expect(geoFigures["limits"] as? String == "GB, US-TX, US-UT")
        let loginFigures = try #require(rules.first { $0["name"] as? String == "login" })
        #expect(loginFigures["kind"] as? String == "rate_limit")
        #expect(loginFigures["mode"] as? String == "enforce")
        #expect(loginFigures["refusals"] as? Int == 2)
        #expect(loginFigures["bans"] as? Int == 0)
        #expect((loginFigures["limits"] as? String)?.hasPrefix("\"login\";q=") == true)
        #expect((loginFigures["location"] as? String)?.hasPrefix("rate-limits.yaml:") == true)
        let shadow = try #require(rules.first { $0["name"] as? String == "downloads-no-store" })
        #expect(shadow["mode"] as? String == "shadow")
        #expect(shadow["refusals"] == nil)  // only rate-limit rules count refusals
        #expect((status["logs"] as? [Any])?.isEmpty == true)
    }

    @Test func withoutAPolicyThereIsNoPolicyKey() throws {
        let runtime = try makeRuntime()
        let report = StatusReport(runtime: runtime, data: MetricsData(routes: 2, upstreams: 1, listeners: 1), policy: nil, logs: [], uptimeNanoseconds: 0)
        let status = try json(report)
        #expect(status["policy"] == nil)
        #expect((status["routes"] as? [[String: Any]])?.allSatisfy { $0["requests"] as? Int == 0 } == true)
    }

    @Test func pageLoadsNothingAndItsPolicyAllowsExactlyItsStyleAndScript() throws {
        let page = StatusPage.html
        #expect(page.contains("<script>\(StatusPage.script)</script>"))
        #expect(page.contains("<style>\(StatusPage.style)</style>"))
        for external in ["http://", "https://", "src=", "@import", "url(", "innerHTML"] {
            #expect(!page.contains(external), "the page must not load or inject anything: found \(external)")
        }
        func hash(_ text: String) -> String { Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() }
        let policy = StatusPage.contentSecurityPolicy
        #expect(policy.hasPrefix("default-src 'none'; "))
        #expect(policy.contains("script-src 'sha256-\(hash(StatusPage.script))';"))
        #expect(policy.contains("style-src 'sha256-\(hash(StatusPage.style))';"))
        #expect(policy.contains("connect-src 'self';"))
        #expect(!policy.contains("unsafe-inline"))
    }
}
