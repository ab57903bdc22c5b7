import Foundation
import Testing

/// Upstream failures become 502/503/504 problem+json; failing endpoints are ejected and restored.
@Suite(.timeLimit(.minutes(1)))
struct FailureTests {
    @Test func killedUpstreamIsEjectedThenRestored() async throws {
        let demo = try await Upstreams.demo()
        let port = demo.localPort
        let gateway = try await GatewayProcess.start(Upstreams.config(
            endpoints: [port],
            upstreamExtra: "    health: { max_failures: 2, ejection: 1s, max_ejection: 2s }"
        ))
        defer { gateway.stop() }

        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/x").status == 200)
        try await demo.stop()

        // Two refused connects: 502 each, then the endpoint is ejected.
        for _ in 0..<2 {
            let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/x")
            #expect(response.status == 502)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.json["type"] as? String == "https://portcullis.dev/problems/upstream-unreachable")
            #expect(response.json["request_id"] as? String == response.header("X-Request-Id"))
        }
        let ejected = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/x")
        #expect(ejected.status == 503)
        #expect(ejected.json["type"] as? String == "https://portcullis.dev/problems/no-healthy-upstream")
        let notReady = try await TestHTTPClient.get(port: gateway.adminPort, path: "/readyz")
        #expect(notReady.status == 503)
        #expect(notReady.text.contains("upstream 'app' has no healthy endpoint"))

        // The application comes back on the same port; after the ejection the endpoint is used again.
        let restarted = try await Upstreams.demo(name: "restarted", port: port)
        try await Task.sleep(for: .milliseconds(1200))
        let restored = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/x")
        #expect(restored.status == 200)
        #expect(restored.header("X-Demo-Instance") == "restarted")
        #expect(try await TestHTTPClient.get(port: gateway.adminPort, path: "/readyz").status == 200)
        try await restarted.stop()
    }

    @Test func slowUpstreamGives504() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort], extra: "timeouts: { upstream_response: 300ms }"))
        defer { gateway.stop() }

        // The application would answer 200 after 3 s: a 504 means the gateway's timeout fired first.
        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/slow?ms=3000")
        #expect(response.status == 504)
        #expect(response.json["type"] as? String == "https://portcullis.dev/problems/upstream-timeout")
        // The connection that timed out is not reused: the next request is answered normally.
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/slow?ms=10").status == 200)
        try await demo.stop()
    }

    @Test func silentUpstreamGives504AndCountsAsAFailure() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort], extra: "timeouts: { upstream_idle: 300ms }"))
        defer { gateway.stop() }
        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/slow?ms=3000")
        #expect(response.status == 504)
        #expect((response.json["detail"] as? String)?.contains("went silent for 300ms") == true)
        let metrics = String(decoding: try await MetricsTests.scrape(gateway).body, as: UTF8.self)
        #expect(MetricsTests.value(metrics, "portcullis_upstream_failures_total{upstream=\"app\"}") == 1)
        try await demo.stop()
    }

    @Test func idempotentRequestIsRetriedOnAnotherEndpoint() async throws {
        let demo = try await Upstreams.demo(name: "alive")
        let deadPort = try FreePort.next()
        let gateway = try await GatewayProcess.start(Upstreams.config(
            endpoints: [deadPort, demo.localPort],
            // One event loop: round-robin order is per loop, and this test counts on it.
            extra: "workers: 1",
            upstreamExtra: "    health: { max_failures: 100 }"
        ))
        defer { gateway.stop() }

        // Round-robin sends every other request to the dead endpoint first; each is retried once.
        for _ in 0..<4 {
            let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/retry")
            #expect(response.status == 200)
            #expect(response.header("X-Demo-Instance") == "alive")
        }
        // A POST is not idempotent: it is not retried, so one of two fails with 502.
        var statuses: [Int] = []
        for _ in 0..<2 {
            statuses.append(try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/upload", body: Array("x".utf8)).status)
        }
        #expect(statuses.sorted() == [200, 502])
        try await demo.stop()
    }

    @Test func leastOutstandingAvoidsTheBusyEndpoint() async throws {
        // Two applications that take 1.5 s over /busy: whichever holds it is busy meanwhile.
        let first = try await RecordingUpstream.start(delay: .milliseconds(1500), slowPath: "/busy")
        let second = try await RecordingUpstream.start(delay: .milliseconds(1500), slowPath: "/busy")
        let gateway = try await GatewayProcess.start(Upstreams.config(
            endpoints: [first.port, second.port],
            extra: "workers: 1",
            upstreamExtra: "    balance: least_outstanding"
        ))
        defer { gateway.stop() }

        async let busy = TestHTTPClient.get(port: gateway.httpPort, path: "/busy")
        try await Self.waitUntil { first.receivedText.contains("/busy") || second.receivedText.contains("/busy") }
        let (busyOne, idleOne) = first.receivedText.contains("/busy") ? (first, second) : (second, first)
        // While one request is outstanding there, the next ones all go to the other endpoint.
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/quick-a").status == 200)
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/quick-b").status == 200)
        #expect(try await busy.status == 200)
        #expect(idleOne.receivedText.contains("/quick-a") && idleOne.receivedText.contains("/quick-b"))
        #expect(!busyOne.receivedText.contains("/quick-"))
        await first.stop()
        await second.stop()
    }

    @Test func connectionsBeyondTheLimitAreClosed() async throws {
        let upstream = try await RecordingUpstream.start(delay: .milliseconds(1500))
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port], extra: "limits: { max_connections: 2 }"))
        defer { gateway.stop() }

        // Two connections held open (a request each in flight at the application), then a third is refused.
        async let one = TestHTTPClient.get(port: gateway.httpPort, path: "/one")
        async let two = TestHTTPClient.get(port: gateway.httpPort, path: "/two")
        try await Self.waitUntil { upstream.receivedText.contains("/one") && upstream.receivedText.contains("/two") }
        let third = try await RawConnection.exchange(port: gateway.httpPort, "GET /three HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout: .seconds(5))
        #expect(third.text.isEmpty)
        #expect(third.closedByPeer)
        #expect(try await one.status == 200)
        #expect(try await two.status == 200)
        #expect(!upstream.receivedText.contains("/three"))
        // Once they are done, connections are admitted again.
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/four").status == 200)
        await upstream.stop()
    }

    /// Polls a condition (bounded: 10 s) instead of guessing how long the machine needs.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            guard Date() < deadline else { throw TestFailure("condition not met within 10 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func unknownRouteGives404Problem() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start("""
            upstreams:
              app: { endpoints: [127.0.0.1:\(demo.localPort)] }
            routes:
              - { name: api, path_prefix: /api/, upstream: app }
            """)
        defer { gateway.stop() }
        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/elsewhere")
        #expect(response.status == 404)
        #expect(response.json["type"] as? String == "https://portcullis.dev/problems/no-route")
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/ok").status == 200)
        try await demo.stop()
    }
}
