import Foundation
import Testing

/// Rate limits shared by several gateway instances through a real redis-server that the test
/// starts on a free loopback port and stops by its pid.
@Suite(.timeLimit(.minutes(2)))
struct RedisRateLimitTests {
    static let policy = """
        rate_limits:
          - name: shared
            match: { path: /api/ping }
            limits: [10/1m]
            headers: true
          - name: burst
            match: { path: /api/burst }
            limits: [12/1m]
        """

    @Test func twoInstancesShareOneLimit() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let upstream = try await RecordingUpstream.start()
        let first = try await RedisGateways.start(upstream: upstream, redis: RedisGateways.section(url: redis.url), policy: Self.policy)
        defer { first.stop() }
        let second = try await RedisGateways.start(upstream: upstream, redis: RedisGateways.section(url: redis.url), policy: Self.policy)
        defer { second.stop() }

        // Alternating between the instances, the remaining count is one count for both.
        var allowed = 0
        var statuses: [Int] = []
        for attempt in 0..<16 {
            let response = try await RedisGateways.post(attempt % 2 == 0 ? first : second, "/api/ping")
            statuses.append(response.status)
            if response.status == 200 {
                allowed += 1
                #expect(response.header("RateLimit")?.hasPrefix("\"shared\";r=\(10 - allowed);t=") == true, "\(response.header("RateLimit") ?? "none")")
            } else {
                #expect(response.status == 429)
                #expect(response.header("Content-Type") == "application/problem+json")
                #expect(response.json["type"] as? String == "https://portcullis.dev/problems/rate-limited")
                // Up to two windows: ten requests early in a minute keep weighing on the next one
                // (the sliding window), and Redis's clock decides where in the minute we are.
                #expect(response.header("Retry-After").flatMap(Int.init).map { (1...120).contains($0) } == true, "\(response.header("Retry-After") ?? "none")")
            }
        }
        #expect(statuses == Array(repeating: 200, count: 10) + Array(repeating: 429, count: 6))

        // Concurrent requests from both instances: exactly the limit gets through.
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for attempt in 0..<30 {
                group.addTask { try await RedisGateways.post(attempt % 2 == 0 ? first : second, "/api/burst").status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == 200 }.count == 12)
        #expect(results.filter { $0 == 429 }.count == 18)

        // The counters are in Redis, hash-tagged per rule and client, and expire.
        let keys = try redis.keys()
        #expect(keys.contains { $0.hasPrefix("{shared:") && $0.hasSuffix("}:60000") }, "\(keys)")
        #expect(keys.allSatisfy { $0.hasPrefix("{shared:") || $0.hasPrefix("{burst:") }, "\(keys)")
        for key in keys {
            let ttl = Int(try redis.cli(["PTTL", key]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            #expect(ttl > 0 && ttl <= 120_000, "\(key) \(ttl)")
        }
        // Nothing fell back.
        let metrics = try await RedisGateways.metrics(first)
        #expect((RedisGateways.sample(metrics, "portcullis_redis_requests_total{outcome=\"ok\"}") ?? 0) >= 8)
        #expect(RedisGateways.sample(metrics, "portcullis_redis_requests_total{outcome=\"error\"}") == 0)
        #expect(RedisGateways.sample(metrics, "portcullis_rate_limit_store_fallbacks_total{rule=\"shared\",reason=\"error\"}") == 0)
        #expect(RedisGateways.sample(metrics, "portcullis_redis_circuit_open") == 0)
        let ready = try await RedisGateways.readyz(first)
        #expect(ready.status == 200)
        #expect(ready.text.contains("\"degraded\":[]"), "\(ready.text)")
        await upstream.stop()
    }

    @Test func aFlushedScriptIsLoadedAgainAndCountingGoesOn() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let upstream = try await RecordingUpstream.start()
        let gateway = try await RedisGateways.start(upstream: upstream, redis: RedisGateways.section(url: redis.url), policy: Self.policy)
        defer { gateway.stop() }
        for _ in 0..<4 { #expect(try await RedisGateways.post(gateway, "/api/ping").status == 200) }
        #expect(try redis.cli(["SCRIPT", "FLUSH"]).contains("OK"))
        // NOSCRIPT is answered by loading the script again: the count in Redis goes on from 4.
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try await RedisGateways.post(gateway, "/api/ping").status) }
        #expect(statuses == Array(repeating: 200, count: 6) + [429, 429])
        let metrics = try await RedisGateways.metrics(gateway)
        #expect(RedisGateways.sample(metrics, "portcullis_redis_requests_total{outcome=\"error\"}") == 0)
        #expect(RedisGateways.sample(metrics, "portcullis_rate_limit_store_fallbacks_total{rule=\"shared\",reason=\"error\"}") == 0)
        await upstream.stop()
    }

    @Test func passwordFromTheEnvironmentAndDatabaseSelection() async throws {
        let redis = try await RedisServer.start(password: "s3cret-\(UUID().uuidString.prefix(8))")
        defer { redis.stop() }
        let upstream = try await RecordingUpstream.start()
        let variable = "PORTCULLIS_TEST_REDIS_PASSWORD_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, redis.password!, 1)
        let gateway = try await RedisGateways.start(
            upstream: upstream, redis: RedisGateways.section(url: "redis://127.0.0.1:\(redis.port)/5", extra: "password: \"${\(variable)}\""), policy: Self.policy)
        defer { gateway.stop() }
        for _ in 0..<3 { #expect(try await RedisGateways.post(gateway, "/api/ping").status == 200) }
        #expect(try redis.keys(database: 5).contains { $0.hasPrefix("{shared:") })
        #expect(try redis.keys(database: 0).isEmpty)

        // A wrong password: the rule falls back (allow) and /readyz says why, still ready.
        let wrong = try await RedisGateways.start(
            upstream: upstream, redis: RedisGateways.section(url: "redis://:not-the-password@127.0.0.1:\(redis.port)/5"), policy: Self.policy)
        defer { wrong.stop() }
        for _ in 0..<4 { #expect(try await RedisGateways.post(wrong, "/api/ping").status == 200) }
        let ready = try await RedisGateways.readyz(wrong)
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
        let degraded = (ready.json["degraded"] as? [String]) ?? []
        #expect(degraded.first?.contains("redis at 127.0.0.1:\(redis.port)") == true, "\(ready.text)")
        await upstream.stop()
    }

    @Test func aUnixSocketWithADatabase() async throws {
        let socketDirectory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: socketDirectory) }
        let socket = socketDirectory.appendingPathComponent("redis.sock").path
        let redis = try await RedisServer.start(arguments: ["--unixsocket", socket, "--unixsocketperm", "700"])
        defer { redis.stop() }
        let upstream = try await RecordingUpstream.start()
        let gateway = try await RedisGateways.start(upstream: upstream, redis: RedisGateways.section(url: "unix://\(socket)?db=1"), policy: Self.policy)
        defer { gateway.stop() }
        for attempt in 1...3 {
            let response = try await RedisGateways.post(gateway, "/api/ping")
            #expect(response.status == 200)
            #expect(response.header("RateLimit")?.hasPrefix("\"shared\";r=\(10 - attempt);") == true)
        }
        #expect(try redis.keys(database: 1).contains { $0.hasPrefix("{shared:") })
        #expect(try redis.keys(database: 0).isEmpty)
        await upstream.stop()
    }

    @Test func theRedisURLFlagMakesRedisTheDefaultStore() async throws {
        let redis = try await RedisServer.start(password: "flag-pass")
        defer { redis.stop() }
        let upstream = try await RecordingUpstream.start()
        // No redis section in the config: --redis-url alone switches shared limits on; a rule
        // that says store: local keeps counting in process.
        let policy = Self.policy + """

              - name: own
                match: { path: /api/own }
                limits: [2/1m]
                store: local
            """
        let gateway = try await RedisGateways.start(upstream: upstream, redis: nil, policy: policy, arguments: ["--redis-url", "redis://:flag-pass@127.0.0.1:\(redis.port)/2"])
        defer { gateway.stop() }
        #expect(try await RedisGateways.post(gateway, "/api/ping").status == 200)
        #expect(try await RedisGateways.post(gateway, "/api/own").status == 200)
        let keys = try redis.keys(database: 2)
        #expect(keys.contains { $0.hasPrefix("{shared:") }, "\(keys)")
        #expect(!keys.contains { $0.hasPrefix("{own:") }, "\(keys)")
        await upstream.stop()
    }
}
