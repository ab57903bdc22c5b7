import Foundation
import Testing

/// The gateway forwards to the application and rewrites what crosses it.
@Suite(.timeLimit(.minutes(1)))
struct ForwardingTests {
    @Test func forwardsJSONAndReturnsRequestId() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.json["message"] as? String == "hello from the demo application")
        let requestId = try #require(response.header("X-Request-Id"))
        #expect(requestId.count == 15)
        try await demo.stop()
    }

    @Test func setsForwardedHeadersAndDropsSpoofedOnes() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo", headers: [
            ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"),
            ("X-Real-IP", "6.6.6.6"), ("X-Request-Id", "spoofed-id"), ("X-Geo-Country", "US"), ("Forwarded", "for=6.6.6.6"),
        ])
        #expect(response.status == 200)
        #expect(response.echoedHeader("X-Forwarded-For") == "127.0.0.1")
        #expect(response.echoedHeader("X-Forwarded-Proto") == "http")
        #expect(response.echoedHeader("X-Forwarded-Host") == "127.0.0.1:\(gateway.httpPort)")
        #expect(response.echoedHeader("X-Real-IP") == "127.0.0.1")
        #expect(response.echoedHeader("X-Geo-Country") == nil)
        #expect(response.echoedHeader("Forwarded") == nil)
        let seenId = try #require(response.echoedHeader("X-Request-Id"))
        #expect(seenId != "spoofed-id")
        #expect(seenId == response.header("X-Request-Id"))
        #expect(response.echoedHeaders.filter { $0.0.lowercased() == "x-forwarded-for" }.count == 1)
        try await demo.stop()
    }

    @Test func traceContextIsContinuedOrStarted() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }
        let pattern = try Regex("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")

        // None sent: the gateway starts a trace, so the application's spans have a parent.
        let started = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo")
        let startedValue = try #require(started.echoedHeader("traceparent"))
        #expect(startedValue.wholeMatch(of: pattern) != nil, "\(startedValue)")
        let another = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo")
        #expect(another.echoedHeader("traceparent") != startedValue)

        // A valid one is continued, with its tracestate.
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let continued = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo", headers: [("traceparent", valid), ("tracestate", "rojo=00f067aa0ba902b7")])
        #expect(continued.echoedHeader("traceparent") == valid)
        #expect(continued.echoedHeader("tracestate") == "rojo=00f067aa0ba902b7")

        // An invalid one (all-zero trace id) is replaced, and its tracestate dropped.
        let invalid = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo", headers: [("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"), ("tracestate", "rojo=1")])
        let replaced = try #require(invalid.echoedHeader("traceparent"))
        #expect(replaced.wholeMatch(of: pattern) != nil)
        #expect(!replaced.contains("00000000000000000000000000000000"))
        #expect(invalid.echoedHeader("tracestate") == nil)
        #expect(invalid.echoedHeaders.filter { $0.0.lowercased() == "traceparent" }.count == 1)
        try await demo.stop()
    }

    @Test func trustedProxyChainResolvesTheClient() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort], extra: "trusted_proxies: [127.0.0.0/8, 10.0.0.0/8]"))
        defer { gateway.stop() }

        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo", headers: [
            ("X-Forwarded-For", "203.0.113.7, 10.1.2.3"), ("X-Forwarded-Proto", "https"), ("X-Request-Id", "edge-abc-123"),
        ])
        #expect(response.echoedHeader("X-Forwarded-For") == "203.0.113.7, 10.1.2.3, 127.0.0.1")
        #expect(response.echoedHeader("X-Real-IP") == "203.0.113.7")
        #expect(response.echoedHeader("X-Forwarded-Proto") == "https")
        #expect(response.echoedHeader("X-Request-Id") == "edge-abc-123")
        #expect(response.header("X-Request-Id") == "edge-abc-123")
        try await demo.stop()
    }

    @Test func removesHopByHopHeaders() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo", headers: [
            ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"),
            ("Proxy-Connection", "keep-alive"), ("Proxy-Authorization", "Basic Zm9vOmJhcg=="), ("X-Kept", "yes"),
        ])
        #expect(response.status == 200)
        for name in ["Connection", "X-Secret", "Keep-Alive", "TE", "Proxy-Connection", "Proxy-Authorization"] {
            #expect(response.echoedHeader(name) == nil, "\(name) reached the application")
        }
        #expect(response.echoedHeader("X-Kept") == "yes")
        try await demo.stop()
    }

    @Test func absoluteFormForAServedHostIsRewrittenToOriginForm() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        let result = try await RawConnection.exchange(port: gateway.httpPort, "GET http://localhost:\(gateway.httpPort)/echo?x=1 HTTP/1.1\r\nHost: ignored.example\r\nConnection: close\r\n\r\n")
        #expect(result.statusCode == 200)
        #expect(result.body.contains("\"uri\":\"/echo?x=1\""))
        #expect(result.body.contains("[\"Host\",\"localhost:\(gateway.httpPort)\"]"))
        try await demo.stop()
    }

    @Test func keepAliveCarriesSeveralRequestsOnOneConnection() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        let request = "GET /api/one HTTP/1.1\r\nHost: localhost\r\n\r\n"
        let last = "GET /api/three HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        let result = try await RawConnection.exchange(port: gateway.httpPort, request + request + last)
        #expect(result.text.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 3)
        #expect(result.text.contains("\"path\":\"/api/three\""))
        #expect(result.closedByPeer)
        try await demo.stop()
    }
}
