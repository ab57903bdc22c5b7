import Foundation
import Portcullis
import Testing

/// The shipped CORS rule (policies/cors.yaml: /api/** for https://app.example) through the real listener.
@Suite(.timeLimit(.minutes(1)))
struct CORSTests {
    static let preflight = """
        OPTIONS /api/items HTTP/1.1\r
        Host: localhost\r
        Origin: https://app.example\r
        Access-Control-Request-Method: PUT\r
        Access-Control-Request-Headers: content-type, x-user-id\r
        \r

        """

    @Test func preflightIsAnsweredAtTheEdgeAndTheConnectionStaysOpen() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), policies: try ShippedPolicies.files())
        defer { gateway.stop() }

        // A preflight, then a request on the same connection.
        let result = try await RawConnection.exchange(port: gateway.httpPort, Self.preflight + "GET /api/items HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example\r\nConnection: close\r\n\r\n")
        let responses = result.text.components(separatedBy: "HTTP/1.1 ").filter { !$0.isEmpty }
        try #require(responses.count == 2, "\(result.text)")
        let preflight = SecurityHeaderTests.headers(of: "HTTP/1.1 " + responses[0])
        #expect(responses[0].hasPrefix("204 "))
        #expect(SecurityHeaderTests.values("Access-Control-Allow-Origin", in: preflight) == ["https://app.example"])
        #expect(SecurityHeaderTests.values("Access-Control-Allow-Methods", in: preflight) == ["GET, HEAD, POST, PUT, PATCH, DELETE"])
        // Every requested header is named in the answer, Content-Type included (a browser asks
        // for it when the value is application/json, and rejects an answer that leaves it out).
        #expect(SecurityHeaderTests.values("Access-Control-Allow-Headers", in: preflight) == ["content-type, x-user-id"])
        #expect(SecurityHeaderTests.values("Access-Control-Allow-Credentials", in: preflight) == ["true"])
        #expect(SecurityHeaderTests.values("Access-Control-Max-Age", in: preflight) == ["600"])
        #expect(SecurityHeaderTests.values("Connection", in: preflight).isEmpty)

        let actual = SecurityHeaderTests.headers(of: "HTTP/1.1 " + responses[1])
        #expect(responses[1].hasPrefix("200 "))
        #expect(SecurityHeaderTests.values("Access-Control-Allow-Origin", in: actual) == ["https://app.example"])
        #expect(SecurityHeaderTests.values("Access-Control-Expose-Headers", in: actual) == ["X-Request-Id, Retry-After, RateLimit, RateLimit-Policy"])
        #expect(SecurityHeaderTests.values("Vary", in: actual) == ["Origin"])
        // The application saw the GET only: the preflight never left the gateway.
        #expect(!upstream.receivedText.contains("OPTIONS"))
        #expect(upstream.receivedText.contains("GET /api/items HTTP/1.1"))
        await upstream.stop()
    }

    /// Thousands of pipelined requests that a phase answers at once, queued behind a slow one:
    /// answered in order without one stack frame per request (which would overflow the stack).
    @Test func manyPipelinedRefusalsAreAnsweredInOrder() async throws {
        let upstream = try await RecordingUpstream.start(delay: .milliseconds(300), slowPath: "/slow")
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), policies: try ShippedPolicies.files())
        defer { gateway.stop() }
        let count = 3_000
        let refused = "POST /api/items HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example\r\n\r\n"
        let requests = "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n" + String(repeating: refused, count: count)
        let result = try await RawConnection.exchange(port: gateway.httpPort, chunks: [requests], timeout: .seconds(30), until: { text in
            text.hasSuffix("}\n") && text.components(separatedBy: "HTTP/1.1 403 Forbidden").count - 1 == count
        })
        #expect(result.text.hasPrefix("HTTP/1.1 200 OK"))
        #expect(result.text.components(separatedBy: "HTTP/1.1 403 Forbidden").count - 1 == count)
        #expect(gateway.process.isRunning)
        await upstream.stop()
    }

    @Test func forbiddenOriginsAreRefusedBeforeTheApplication() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), policies: try ShippedPolicies.files())
        defer { gateway.stop() }

        // A cross-site form post (the CSRF shape): refused with problem+json.
        let post = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/wallet/withdraw", headers: [("Origin", "https://evil.example"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array("amount=100".utf8))
        #expect(post.status == 403)
        #expect(post.header("Content-Type") == "application/problem+json")
        #expect(post.json["type"] as? String == "https://portcullis.dev/problems/cors-origin-refused")
        #expect((post.json["detail"] as? String)?.contains("'https://evil.example'") == true)
        #expect(post.header("Access-Control-Allow-Origin") == nil)

        // A preflight from that origin, and one asking for a header the rule does not allow.
        // The connection stays open after a refused preflight: stop reading at the end of the answer.
        let answered: @Sendable (String) -> Bool = { $0.hasSuffix("}\n") }
        let evilPreflight = try await RawConnection.exchange(port: gateway.httpPort, chunks: [Self.preflight.replacingOccurrences(of: "https://app.example", with: "https://evil.example")], until: answered)
        #expect(evilPreflight.statusCode == 403)
        let headerPreflight = try await RawConnection.exchange(port: gateway.httpPort, chunks: [Self.preflight.replacingOccurrences(of: "x-user-id", with: "x-admin")], until: answered)
        #expect(!headerPreflight.closedByPeer)
        #expect(headerPreflight.statusCode == 403)
        #expect(headerPreflight.body.contains("the request header 'x-admin'"))

        // A read from another origin is forwarded, but without CORS headers the browser keeps it
        // from the calling page.
        let read = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/items", headers: [("Origin", "https://evil.example")])
        #expect(read.status == 200)
        #expect(read.header("Access-Control-Allow-Origin") == nil)
        #expect(read.header("Vary") == "Origin")

        // Nothing of the refused requests reached the application.
        #expect(!upstream.receivedText.contains("POST"))
        #expect(!upstream.receivedText.contains("OPTIONS"))
        #expect(upstream.receivedText.contains("GET /api/items"))
        await upstream.stop()
    }

    @Test func sameOriginAndOriginlessRequestsAreNotCORS() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), policies: try ShippedPolicies.files())
        defer { gateway.stop() }
        // A browser sends Origin on a same-origin POST; curl and servers send none.
        let same = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/items", headers: [("Origin", "http://127.0.0.1:\(gateway.httpPort)")], body: Array("{}".utf8))
        #expect(same.status == 200)
        let none = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/items", body: Array("{}".utf8))
        #expect(none.status == 200)
        #expect(none.header("Access-Control-Allow-Origin") == nil)
        await upstream.stop()
    }

    @Test func preflightOverHTTP2() async throws {
        let demo = try await Upstreams.demo()
        let certificates = try TestCertificates()
        let certs = certificates.directory
        let tls = certificates.tlsBlock
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), tls: tls, policies: try ShippedPolicies.files())
        defer { gateway.stop() }
        let url = "https://localhost:\(gateway.tlsPort)/api/items"
        let preflight = try Command.curl(["-i", "--http2", "--cacert", "\(certs.path)/ca.pem", "-X", "OPTIONS", "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: DELETE", url])
        #expect(preflight.standardOutput.hasPrefix("HTTP/2 204"), "\(preflight.standardOutput)\(preflight.standardError)")
        #expect(SecurityHeaderTests.values("access-control-allow-origin", in: SecurityHeaderTests.headers(of: preflight.standardOutput)) == ["https://app.example"])
        let refused = try Command.curl(["-i", "--http2", "--cacert", "\(certs.path)/ca.pem", "-X", "DELETE", "-H", "Origin: https://evil.example", url])
        #expect(refused.standardOutput.hasPrefix("HTTP/2 403"), "\(refused.standardOutput)")
        try await demo.stop()
    }
}
