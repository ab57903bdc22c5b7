import Foundation
import Portcullis
import Testing

/// `/metrics` on the admin listener after traffic of every kind, checked by Prometheus's own
/// `promtool` and by exact counts.
@Suite(.timeLimit(.minutes(1)))
struct MetricsTests {
    static func scrape(_ gateway: GatewayProcess, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics", headers: headers)
    }

    /// The value of the sample with exactly this name and these labels.
    static func value(_ text: String, _ sample: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    @Test func everyKindOfTrafficIsCountedExactlyAndPromtoolAcceptsThePage() async throws {
        let demo = try await Upstreams.demo()
        let deadPort = try FreePort.next()  // nothing listens there: 502
        let certificates = try TestCertificates()
        let certs = certificates.directory
        let tls = certificates.tlsBlock
        // Geo rules need a database; uploads are scanned with signatures written here.
        let directory = try TestPaths.temporaryDirectory()
        let database = directory.appendingPathComponent("geo.mmdb").path
        try GeoFixture.write(to: database)
        let signatures = try ScanFixtures.signatureDirectory(in: directory)
        let gateway = try await GatewayProcess.start("""
            trusted_proxies: [127.0.0.1]
            geo: { database: \(database) }
            \(ScanFixtures.scannerConfig(signatures: signatures, directory: directory))
            upstreams:
              app: { endpoints: [127.0.0.1:\(demo.localPort)] }
              gone: { endpoints: [127.0.0.1:\(deadPort)], health: { max_failures: 100 } }
            routes:
              - { name: dead, path_prefix: /dead, upstream: gone }
              - { name: app, path_prefix: /, upstream: app }
            """, tls: tls, plainListener: "redirect_to_https: false", policies: try ShippedPolicies.files(geo: true))
        defer { gateway.stop() }

        for _ in 1...7 { #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello").status == 200) }
        for _ in 1...6 { _ = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/login", body: Array("{}".utf8)) }
        let refused = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/items", headers: [("Origin", "https://evil.example")], body: Array("{}".utf8))
        #expect(refused.status == 403)
        for _ in 1...2 { #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/dead/x").status == 502) }
        // Geo: a visitor from Great Britain without an age token is sent to verification; one
        // without a location is refused (451). An upload carrying the EICAR string is blocked.
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/adult/page", headers: [("X-Forwarded-For", "81.2.69.142")]).status == 302)
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/adult/page", headers: [("X-Forwarded-For", "10.0.0.1")]).status == 451)
        let infected = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/upload", headers: [("Content-Type", "application/octet-stream")], body: ScanFixtures.eicar)
        #expect(infected.status == 403)
        // Plain HTTP to the TLS port: the handshake fails, the connection is closed.
        _ = try? await RawConnection.exchange(port: gateway.tlsPort, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let https = try Command.curl(["--http2", "--cacert", "\(certs.path)/ca.pem", "-o", "/dev/null", "-w", "%{http_code}", "https://localhost:\(gateway.tlsPort)/api/hello"])
        #expect(https.standardOutput == "200")

        let page = try await Self.scrape(gateway)
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let text = String(decoding: page.body, as: UTF8.self)
        let file = gateway.directory.appendingPathComponent("metrics.txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let check = try Command.run("/bin/sh", ["-c", "promtool check metrics < '\(file.path)'"])
        #expect(check.status == 0, "promtool: \(check.standardOutput)\(check.standardError)")

        let histogram = "portcullis_request_duration_seconds_count"
        #expect(Self.value(text, "\(histogram){route=\"app\",method=\"GET\",status_class=\"2xx\"}") == 8)  // 7 plain + 1 HTTP/2
        #expect(Self.value(text, "\(histogram){route=\"app\",method=\"POST\",status_class=\"2xx\"}") == 5)
        #expect(Self.value(text, "\(histogram){route=\"app\",method=\"POST\",status_class=\"4xx\"}") == 3)  // 429, 403 CORS, 403 upload
        #expect(Self.value(text, "\(histogram){route=\"app\",method=\"GET\",status_class=\"3xx\"}") == 1)  // geo redirect
        #expect(Self.value(text, "\(histogram){route=\"app\",method=\"GET\",status_class=\"4xx\"}") == 1)  // geo 451
        #expect(Self.value(text, "\(histogram){route=\"dead\",method=\"GET\",status_class=\"5xx\"}") == 2)
        #expect(Self.value(text, "portcullis_request_duration_seconds_bucket{route=\"app\",method=\"GET\",status_class=\"2xx\",le=\"+Inf\"}") == 8)
        #expect(Self.value(text, "portcullis_upstream_duration_seconds_count{upstream=\"app\"}") == 13)
        #expect(Self.value(text, "portcullis_upstream_failures_total{upstream=\"gone\"}") == 2)
        #expect(Self.value(text, "portcullis_rate_limit_refusals_total{rule=\"login\",mode=\"enforce\"}") == 1)
        #expect(Self.value(text, "portcullis_tls_handshakes_total{listener=\"https\",outcome=\"failed\"}") == 1)
        #expect(Self.value(text, "portcullis_tls_handshakes_total{listener=\"https\",outcome=\"completed\"}") == 1)
        #expect(Self.value(text, "portcullis_http2_streams_total{listener=\"https\"}") == 1)
        #expect(Self.value(text, "portcullis_upstream_endpoint_healthy{upstream=\"app\",endpoint=\"127.0.0.1:\(demo.localPort)\"}") == 1)
        #expect(Self.value(text, "portcullis_policy_reloads_total{result=\"ok\"}") == 0)
        // Every decision of a policy rule, by kind, rule and outcome.
        let decisions = "portcullis_policy_decisions_total"
        #expect(Self.value(text, "\(decisions){kind=\"rate_limit\",rule=\"login\",outcome=\"allowed\"}") == 5)
        #expect(Self.value(text, "\(decisions){kind=\"rate_limit\",rule=\"login\",outcome=\"limited\"}") == 1)
        #expect(Self.value(text, "\(decisions){kind=\"cors\",rule=\"api-cors\",outcome=\"refused\"}") == 1)
        #expect(Self.value(text, "\(decisions){kind=\"headers\",rule=\"api\",outcome=\"applied\"}") == 15)  // every /api/ request
        #expect(Self.value(text, "\(decisions){kind=\"geo\",rule=\"adult-content\",outcome=\"redirected\"}") == 1)
        #expect(Self.value(text, "\(decisions){kind=\"geo\",rule=\"adult-content\",outcome=\"unknown_location\"}") == 1)
        #expect(Self.value(text, "\(decisions){kind=\"upload\",rule=\"demo-upload\",outcome=\"infected\"}") == 1)
        #expect(Self.value(text, "portcullis_upload_scan_duration_seconds_count{engine=\"clamav\",result=\"infected\"}") == 1)
        // Label values come from config and policy only: no path or address from the traffic.
        #expect(!text.contains("/api/hello"))
        #expect(!text.contains("evil.example"))
        try await demo.stop()
    }

    @Test func aTokenGuardsTheMetricsPage() async throws {
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [1]), adminExtra: "metrics_token: s3cret-token-for-tests")
        defer { gateway.stop() }
        let refused = try await Self.scrape(gateway)
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate") == "Bearer realm=\"portcullis-metrics\"")
        #expect(try await Self.scrape(gateway, headers: [("Authorization", "Bearer wrong-token-wrong-token")]).status == 401)
        let allowed = try await Self.scrape(gateway, headers: [("Authorization", "Bearer s3cret-token-for-tests")])
        #expect(allowed.status == 200)
        #expect(String(decoding: allowed.body, as: UTF8.self).contains("portcullis_build_info"))
        // Health probes need no token.
        #expect(try await TestHTTPClient.get(port: gateway.adminPort, path: "/healthz").status == 200)
    }

    /// `admin.metrics: false` (what scripts/bench's portcullis-bare measures against): requests are
    /// served and not counted, while the gauges that cost nothing per request stay.
    @Test func metricsOffCountsNoRequest() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), adminExtra: "metrics: false")
        defer { gateway.stop() }
        for _ in 1...3 { #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/").status == 200) }
        let text = String(decoding: try await Self.scrape(gateway).body, as: UTF8.self)
        #expect(text.contains("portcullis_build_info"))
        #expect(!text.contains("portcullis_request_duration_seconds_count{"))
        #expect(Self.value(text, "portcullis_upstream_endpoint_healthy{upstream=\"app\",endpoint=\"127.0.0.1:\(demo.localPort)\"}") == 1)
        try await demo.stop()
    }
}
