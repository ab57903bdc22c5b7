import Foundation
import Testing

/// Shared limits on a real three-master Redis Cluster on loopback: each decision goes to the
/// master of its key's slot, and a slot migrated while traffic flows (`ASK`, then `MOVED`) keeps
/// its counts.
@Suite(.timeLimit(.minutes(3)))
struct RedisClusterTests {
    static let policy = """
        rate_limits:
          - name: clustered
            match: { path: /api/ping }
            limits: [20/1m]
            headers: true
        """

    @Test func limitsHoldAcrossInstancesAndSurviveASlotMigration() async throws {
        let cluster = try await RedisCluster.start()
        defer { cluster.stop() }
        let upstream = try await RecordingUpstream.start()
        // Both instances know only the first node; the slot map tells them the rest.
        let seed = RedisGateways.section(url: "redis://127.0.0.1:\(cluster.nodes[0].port)")
        let first = try await RedisGateways.start(upstream: upstream, redis: seed, policy: Self.policy)
        defer { first.stop() }
        let second = try await RedisGateways.start(upstream: upstream, redis: seed, policy: Self.policy)
        defer { second.stop() }

        var allowed = 0
        for attempt in 0..<6 {
            let response = try await RedisGateways.post(attempt % 2 == 0 ? first : second, "/api/ping")
            #expect(response.status == 200)
            allowed += 1
            #expect(response.header("RateLimit")?.hasPrefix("\"clustered\";r=\(20 - allowed);") == true, "\(response.header("RateLimit") ?? "none")")
        }
        let keys = try cluster.keys()
        let key = try #require(keys.first { $0.hasPrefix("{clustered:") }, "\(keys)")
        let source = try #require(try cluster.holder(of: key))
        let target = try #require(cluster.nodes.first { $0.port != source.port })
        let slot = try source.cli(["CLUSTER", "KEYSLOT", key]).trimmingCharacters(in: .whitespacesAndNewlines)
        let sourceId = try cluster.nodeId(source)
        let targetId = try cluster.nodeId(target)

        // Migration begun and the key moved, the slot still the source's: the source answers ASK.
        #expect(try target.cli(["CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId]).contains("OK"))
        #expect(try source.cli(["CLUSTER", "SETSLOT", slot, "MIGRATING", targetId]).contains("OK"))
        let slotKeys = try source.cli(["CLUSTER", "GETKEYSINSLOT", slot, "100"]).split(separator: "\n").map(String.init)
        #expect(try source.cli(["MIGRATE", "127.0.0.1", String(target.port), "", "0", "5000", "KEYS"] + slotKeys).contains("OK"))
        for attempt in 0..<4 {
            let response = try await RedisGateways.post(attempt % 2 == 0 ? first : second, "/api/ping")
            #expect(response.status == 200)
            allowed += 1
            #expect(response.header("RateLimit")?.hasPrefix("\"clustered\";r=\(20 - allowed);") == true, "\(response.header("RateLimit") ?? "none")")
        }

        // Migration finished: every node now says the target owns the slot; the source answers MOVED.
        for node in cluster.nodes { _ = try node.cli(["CLUSTER", "SETSLOT", slot, "NODE", targetId]) }
        var statuses: [Int] = []
        for attempt in 0..<14 {
            let response = try await RedisGateways.post(attempt % 2 == 0 ? first : second, "/api/ping")
            statuses.append(response.status)
        }
        // 10 counted before; 10 more allowed, then the limit holds.
        #expect(statuses == Array(repeating: 200, count: 10) + Array(repeating: 429, count: 4))
        #expect(try target.cli(["EXISTS", key]).trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        var asks = 0.0, moves = 0.0
        for gateway in [first, second] {
            let metrics = try await RedisGateways.metrics(gateway)
            asks += RedisGateways.sample(metrics, "portcullis_redis_redirections_total{kind=\"ask\"}") ?? 0
            moves += RedisGateways.sample(metrics, "portcullis_redis_redirections_total{kind=\"moved\"}") ?? 0
            #expect(RedisGateways.sample(metrics, "portcullis_redis_requests_total{outcome=\"error\"}") == 0, "\(metrics)")
            #expect(RedisGateways.sample(metrics, "portcullis_rate_limit_store_fallbacks_total{rule=\"clustered\",reason=\"error\"}") == 0)
        }
        // Both paths were taken: ASK during the migration, MOVED after it (once per event loop
        // that held the old map, then the refreshed map routes directly).
        #expect(asks >= 4)
        #expect(moves >= 1)
        await upstream.stop()
    }
}
