import Foundation
import Testing

/// Rate limits through the real listener (the in-process store), as a client sees them.
@Suite(.timeLimit(.minutes(1)))
struct RateLimitTests {
    static func start(_ policy: String, extra: String = "") async throws -> GatewayProcess {
        let upstream = try await RecordingUpstream.start()
        return try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port], extra: extra), policies: ["limits.yaml": policy])
    }

    static func post(_ gateway: GatewayProcess, _ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: path, headers: headers, body: Array("{}".utf8))
    }

    @Test func theShippedLoginLimitAnswers429WithEveryHeader() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), policies: try ShippedPolicies.files())
        defer { gateway.stop() }
        for attempt in 1...5 {
            let allowed = try await Self.post(gateway, "/api/login")
            #expect(allowed.status == 200, "attempt \(attempt)")
            // The login rule asks for RateLimit on allowed responses too: r counts down.
            #expect(allowed.header("RateLimit-Policy") == "\"login\";q=5;w=60")
            #expect(allowed.header("RateLimit")?.hasPrefix("\"login\";r=\(5 - attempt);t=") == true, "\(allowed.header("RateLimit") ?? "none")")
        }
        let limited = try await Self.post(gateway, "/api/login")
        #expect(limited.status == 429)
        #expect(limited.header("Content-Type") == "application/problem+json")
        #expect(limited.json["type"] as? String == "https://portcullis.dev/problems/rate-limited")
        let retryAfter = try #require(limited.header("Retry-After").flatMap(Int.init))
        #expect((1...120).contains(retryAfter))
        #expect(limited.header("RateLimit-Policy") == "\"login\";q=5;w=60")
        #expect(limited.header("RateLimit") == "\"login\";r=0;t=\(retryAfter)")
        // Limited requests never reach the application: five logins did.
        #expect(upstream.receivedText.components(separatedBy: "POST /api/login").count - 1 == 5)
        // Other routes are not limited by this rule.
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello").status == 200)
        await upstream.stop()
    }

    @Test func retryAfterIsHonoured() async throws {
        let gateway = try await Self.start("""
            rate_limits:
              - name: burst
                match: { path: /api/ping }
                limits: [2/1s]
            """)
        defer { gateway.stop() }
        var statuses: [Int] = []
        for _ in 1...3 { statuses.append(try await Self.post(gateway, "/api/ping").status) }
        #expect(statuses == [200, 200, 429])
        let limited = try await Self.post(gateway, "/api/ping")
        let retryAfter = try #require(limited.header("Retry-After").flatMap(Int.init))
        #expect((1...2).contains(retryAfter))
        try await Task.sleep(for: .seconds(retryAfter))
        #expect(try await Self.post(gateway, "/api/ping").status == 200)
    }

    @Test func shadowModeLetsEverythingThroughAndLogsIt() async throws {
        let gateway = try await Self.start("""
            rate_limits:
              - name: trial
                mode: shadow
                match: { path: /api/ping }
                limits: [1/1m]
            """)
        defer { gateway.stop() }
        for _ in 1...4 { #expect(try await Self.post(gateway, "/api/ping").status == 200) }
        try await PolicyReloadTests.waitForLog(gateway, containing: "shadow rate-limit rule would refuse")
        #expect(gateway.log.contains("rule=trial"))
    }

    @Test func compoundKeysCountEachPartTogether() async throws {
        let gateway = try await Self.start("""
            rate_limits:
              - name: per-key
                match: { path: /api/ping }
                key: ip+header:X-Api-Key
                limits: [2/1m]
            """)
        defer { gateway.stop() }
        for _ in 1...2 { #expect(try await Self.post(gateway, "/api/ping", headers: [("X-Api-Key", "alpha")]).status == 200) }
        #expect(try await Self.post(gateway, "/api/ping", headers: [("X-Api-Key", "alpha")]).status == 429)
        // The same address with another API key has its own count.
        #expect(try await Self.post(gateway, "/api/ping", headers: [("X-Api-Key", "beta")]).status == 200)
    }

    @Test func anIPv4BlockIsOneClientThroughATrustedProxy() async throws {
        let gateway = try await Self.start("""
            rate_limits:
              - name: per-block
                match: { path: /api/ping }
                key: ip/24
                limits: [3/1m]
            """, extra: "trusted_proxies: [127.0.0.0/8]")
        defer { gateway.stop() }
        // A client rotating its address within 203.0.113.0/24, behind our load balancer.
        var statuses: [Int] = []
        for host in 1...4 { statuses.append(try await Self.post(gateway, "/api/ping", headers: [("X-Forwarded-For", "203.0.113.\(host)")]).status) }
        #expect(statuses == [200, 200, 200, 429])
        // Another block is another client.
        #expect(try await Self.post(gateway, "/api/ping", headers: [("X-Forwarded-For", "198.51.100.9")]).status == 200)
    }

    @Test func repeatedViolationsEarnGrowingBans() async throws {
        let gateway = try await Self.start("""
            rate_limits:
              - name: banning
                match: { path: /api/ping }
                limits: [1/1s]
                penalty: { after_violations: 2, within: 1m, ban: 2s, growth: 2, max_ban: 1m }
            """)
        defer { gateway.stop() }
        // One allowed, then two violations: the second begins a 2 s ban.
        #expect(try await Self.post(gateway, "/api/ping").status == 200)
        #expect(try await Self.post(gateway, "/api/ping").status == 429)
        let banned = try await Self.post(gateway, "/api/ping")
        #expect(banned.status == 429)
        #expect(banned.header("Retry-After") == "2")
        try await PolicyReloadTests.waitForLog(gateway, containing: "rate-limit ban")
        try await Task.sleep(for: .milliseconds(2100))
        // Free again; two more violations begin the next ban, twice as long.
        #expect(try await Self.post(gateway, "/api/ping").status == 200)
        #expect(try await Self.post(gateway, "/api/ping").status == 429)
        let again = try await Self.post(gateway, "/api/ping")
        #expect(again.status == 429)
        #expect(again.header("Retry-After") == "4")
        #expect(gateway.log.contains("ban.level=2"))
    }

    /// An HS256 token for `subject`, valid for an hour, signed with `secret` (by Python's hmac, an
    /// implementation independent of the gateway's).
    static func token(subject: String, secret: String, lifetime: Int = 3600) throws -> String {
        let script = """
            import base64, hashlib, hmac, json, sys, time
            b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
            head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
            body = b64(json.dumps({"sub": sys.argv[2], "exp": int(time.time()) + int(sys.argv[3])}).encode())
            mac = b64(hmac.new(sys.argv[1].encode(), (head + "." + body).encode(), hashlib.sha256).digest())
            print(head + "." + body + "." + mac)
            """
        return try Command.run(Command.python, ["-c", script, secret, subject, String(lifetime)]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func verifiedTokenClaimsAreKeys() async throws {
        let secret = "0123456789abcdef0123456789abcdef-test"
        let gateway = try await Self.start("""
            rate_limits:
              - name: per-user
                match: { path: /api/ping }
                key: jwt:sub
                jwt: { algorithm: HS256, secret: "\(secret)" }
                limits: [2/1m]
            """)
        defer { gateway.stop() }
        let alice = [("Authorization", "Bearer \(try Self.token(subject: "alice", secret: secret))")]
        let bob = [("Authorization", "Bearer \(try Self.token(subject: "bob", secret: secret))")]
        let forged = [("Authorization", "Bearer \(try Self.token(subject: "alice", secret: "another-secret-another-secret-00"))")]
        // The first request with a token waits for its verification off the event loop.
        #expect(try await Self.post(gateway, "/api/ping", headers: alice).status == 200)
        #expect(try await Self.post(gateway, "/api/ping", headers: alice).status == 200)
        #expect(try await Self.post(gateway, "/api/ping", headers: alice).status == 429)
        #expect(try await Self.post(gateway, "/api/ping", headers: bob).status == 200)
        // A forged "alice" is not alice: it counts under the fallback key (the client address).
        #expect(try await Self.post(gateway, "/api/ping", headers: forged).status == 200)

        // Over HTTP/1.1 keep-alive, a new token's request and the one pipelined behind it are
        // answered in order, the first after the token check.
        let carol = try Self.token(subject: "carol", secret: secret)
        let request = "POST /api/ping HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(carol)\r\nContent-Length: 2\r\n\r\n{}"
        let result = try await RawConnection.exchange(port: gateway.httpPort, chunks: [request + request + request], until: { $0.contains("429 Too Many Requests") && $0.hasSuffix("}\n") })
        let statuses = result.text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(statuses == ["200", "200", "429"], "\(result.text)")
    }

    /// HTTP/2, no content-length, END_STREAM in a frame of its own: the first sight of a token is
    /// checked asynchronously, and a refusal decided then must still be answered once the end
    /// of the stream arrives (the stream's reads were paused meanwhile).
    @Test func anAsynchronousRefusalOverHTTP2IsAnswered() async throws {
        let secret = "0123456789abcdef0123456789abcdef-test"
        let upstream = try await RecordingUpstream.start()
        let certificates = try TestCertificates()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), tls: certificates.tlsBlock, policies: ["limits.yaml": """
            rate_limits:
              - name: per-user
                match: { path: /api/ping }
                key: jwt:sub
                jwt: { algorithm: HS256, secret: "\(secret)" }
                limits: [1/1m]
            """])
        defer { gateway.stop() }
        // Two different tokens for the same user: each is new to the gateway (checked off the
        // loop); the second is over the user's limit.
        let first = try Self.token(subject: "dana", secret: secret, lifetime: 3600)
        let second = try Self.token(subject: "dana", secret: secret, lifetime: 3601)
        let output = try Command.run(Command.python, [Command.script("h2_split_end.py"), String(gateway.tlsPort), first, second], timeout: 30)
        #expect(output.standardOutput == "response 200\nresponse 429\n", "\(output.standardOutput)\(output.standardError)")
        await upstream.stop()
    }
}
