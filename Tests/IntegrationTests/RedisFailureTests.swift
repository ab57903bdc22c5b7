import Foundation
import Testing

/// What a gateway does when its Redis dies, comes back, or answers too slowly: each rule's
/// `on_store_error` decides, every fallback is counted, `/readyz` says Redis is degraded and
/// stays ready, and Redis is used again as soon as it answers (no restart).
@Suite(.timeLimit(.minutes(2)))
struct RedisFailureTests {
    static let policy = """
        rate_limits:
          - name: open
            match: { path: /api/open }
            limits: [3/1m]
          - name: closed
            match: { path: /api/closed }
            limits: [100/1m]
            on_store_error: deny
        """

    @Test func redisKilledFallsBackPerRuleAndIsUsedAgainWhenItReturns() async throws {
        var redis = try await RedisServer.start()
        defer { redis.stop() }
        let port = redis.port
        let upstream = try await RecordingUpstream.start()
        let gateway = try await RedisGateways.start(upstream: upstream, redis: RedisGateways.section(url: redis.url), policy: Self.policy)
        defer { gateway.stop() }
        #expect(try await RedisGateways.post(gateway, "/api/open").status == 200)
        #expect(try await RedisGateways.post(gateway, "/api/closed").status == 200)

        redis.kill()
        // allow: the in-process store decides meanwhile, so the limit still holds per instance.
        var open: [Int] = []
        for _ in 0..<5 { open.append(try await RedisGateways.post(gateway, "/api/open").status) }
        #expect(open == [200, 200, 200, 429, 429])
        // deny: 503 problem+json, never forwarded.
        let refused = try await RedisGateways.post(gateway, "/api/closed")
        #expect(refused.status == 503)
        #expect(refused.header("Content-Type") == "application/problem+json")
        #expect(refused.json["type"] as? String == "https://portcullis.dev/problems/rate-limit-store-unavailable")
        #expect(refused.header("Retry-After") == "1")
        #expect(upstream.receivedText.components(separatedBy: "POST /api/closed").count - 1 == 1)

        let metrics = try await RedisGateways.metrics(gateway)
        let fallbacks = RedisError_reasons.reduce(0.0) { sum, reason in
            sum + (RedisGateways.sample(metrics, "portcullis_rate_limit_store_fallbacks_total{rule=\"open\",reason=\"\(reason)\"}") ?? 0)
        }
        #expect(fallbacks == 5, "\(metrics)")
        #expect((RedisGateways.sample(metrics, "portcullis_rate_limit_store_fallbacks_total{rule=\"open\",reason=\"circuit_open\"}") ?? 0) >= 1)
        #expect(RedisGateways.sample(metrics, "portcullis_redis_circuit_open") == 1)
        #expect((RedisGateways.sample(metrics, "portcullis_redis_requests_total{outcome=\"error\"}") ?? 0) >= 3)
        #expect((RedisGateways.sample(metrics, "portcullis_policy_decisions_total{kind=\"rate_limit\",rule=\"open\",outcome=\"store_error\"}") ?? 0) >= 3)
        #expect(RedisGateways.sample(metrics, "portcullis_policy_decisions_total{kind=\"rate_limit\",rule=\"closed\",outcome=\"store_error\"}") == 1)
        let ready = try await RedisGateways.readyz(gateway)
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
        let degraded = (ready.json["degraded"] as? [String]) ?? []
        #expect(degraded.count == 1)
        #expect(degraded.first?.contains("redis at 127.0.0.1:\(port) unavailable, circuit open") == true, "\(ready.text)")
        try await PolicyReloadTests.waitForLog(gateway, containing: "redis circuit opened")

        // Redis is back on the same port: the breaker's probe finds it, shared limiting resumes.
        redis = try await RedisServer.start(port: port)
        try await RedisGateways.eventually("readyz without degradation") {
            try await RedisGateways.readyz(gateway).json["degraded"] as? [String] == []
        }
        try await PolicyReloadTests.waitForLog(gateway, containing: "redis answers again")
        #expect(try await RedisGateways.post(gateway, "/api/closed").status == 200)
        // A fresh Redis knows nothing of this client: three more under the shared count.
        var resumed: [Int] = []
        for _ in 0..<4 { resumed.append(try await RedisGateways.post(gateway, "/api/open").status) }
        #expect(resumed == [200, 200, 200, 429])
        #expect(try redis.keys().contains { $0.hasPrefix("{open:") })
        let after = try await RedisGateways.metrics(gateway)
        #expect(RedisGateways.sample(after, "portcullis_redis_circuit_open") == 0)
        await upstream.stop()
    }

    @Test func aRedisSlowerThanTheBudgetFallsBack() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let upstream = try await RecordingUpstream.start()
        let section = """
            redis:
              url: \(redis.url)
              timeout: 100ms
              circuit_breaker: { failures: 2, backoff: 100ms, max_backoff: 200ms }
            """
        let gateway = try await RedisGateways.start(upstream: upstream, redis: section, policy: Self.policy)
        defer { gateway.stop() }
        #expect(try await RedisGateways.post(gateway, "/api/closed").status == 200)

        // Redis stops answering for two seconds (DEBUG SLEEP blocks the server).
        let sleeper = try redis.cliInBackground(["DEBUG", "SLEEP", "2"])
        try await Task.sleep(for: .milliseconds(200))
        let started = Date()
        let open = try await RedisGateways.post(gateway, "/api/open")
        let closed = try await RedisGateways.post(gateway, "/api/closed")
        let elapsed = Date().timeIntervalSince(started)
        #expect(open.status == 200)
        #expect(closed.status == 503)
        // Each waited at most the budget, not the two seconds.
        #expect(elapsed < 1.2, "\(elapsed) s")
        let metrics = try await RedisGateways.metrics(gateway)
        #expect((RedisGateways.sample(metrics, "portcullis_redis_requests_total{outcome=\"timeout\"}") ?? 0) >= 1, "\(metrics)")
        #expect((RedisGateways.sample(metrics, "portcullis_rate_limit_store_fallbacks_total{rule=\"open\",reason=\"timeout\"}") ?? 0) == 1)
        sleeper.waitUntilExit()
        // Awake again: used again without a restart.
        try await RedisGateways.eventually("readyz without degradation") {
            try await RedisGateways.readyz(gateway).json["degraded"] as? [String] == []
        }
        #expect(try await RedisGateways.post(gateway, "/api/closed").status == 200)
        await upstream.stop()
    }
}

private let RedisError_reasons = ["error", "timeout", "circuit_open"]
