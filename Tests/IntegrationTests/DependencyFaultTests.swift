import Foundation
import Testing

/// The gateway's neighbours fail while traffic flows: Redis (rate-limit store) killed and
/// restarted, clamd (upload scanner) killed and restarted. The same accounting as `FaultTests`:
/// every request sent is answered by the application or with the documented error, and what the
/// rule does not cover (other routes, rules that fail open) is answered throughout.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DependencyFaultTests {
    static let rateLimitPolicy = """
        rate_limits:
          - name: open
            match: { path_prefix: /api/open/ }
            limits: [100000/1m]
          - name: closed
            match: { path_prefix: /api/closed/ }
            limits: [100000/1m]
            on_store_error: deny
          - name: tight
            match: { path_prefix: /api/tight/ }
            limits: [3/1m]
        """

    @Test func redisKilledAndRestartedUnderLoad() async throws {
        var redis = try await RedisServer.start()
        defer { redis.stop() }
        let redisPort = redis.port
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(
            Upstreams.config(endpoints: [demo.localPort], extra: RedisGateways.section(url: redis.url)),
            policies: ["limits.yaml": Self.rateLimitPolicy]
        )
        defer { gateway.stop() }
        let port = gateway.httpPort
        #expect(FaultTests.outcome(try? await TestHTTPClient.get(port: port, path: "/api/open/warm"), path: "/api/open/warm") == .answered)
        let descriptors = gateway.openFileCount()

        // Even requests are under the fail-open rule, odd ones under the fail-closed one.
        let load = FaultLoad()
        let fault = Task {
            await load.waitUntil(completed: 100)
            redis.kill()
            await load.waitUntil(completed: 350)
            return try await RedisServer.start(port: redisPort)
        }
        let results = await load.run(clients: 4, each: 150) { client, index in
            let path = "/api/\(index % 2 == 0 ? "open" : "closed")/c\(client)/\(index)"
            return (index % 2 == 0, FaultTests.outcome(try? await TestHTTPClient.get(port: port, path: path), path: path))
        }
        redis = try await fault.value
        let open = FaultLoad.Tally(results.filter(\.0).map(\.1))
        let closed = FaultLoad.Tally(results.filter { !$0.0 }.map(\.1))
        print("faults: Redis killed after 100 of 600 requests, restarted after 350: on_store_error allow: \(open); deny: \(closed)")

        #expect(open.sent == 300 && closed.sent == 300)
        #expect(open.answered == 300, "\(open)")
        #expect(closed.answered + (closed.documented[503] ?? 0) == 300, "\(closed)")
        #expect((closed.documented[503] ?? 0) > 0, "the fault was not seen")
        let metrics = try await RedisGateways.metrics(gateway)
        // Each 503 is the deny rule's decision, counted as such.
        let denied = RedisGateways.sample(metrics, "portcullis_policy_decisions_total{kind=\"rate_limit\",rule=\"closed\",outcome=\"store_error\"}") ?? 0
        #expect(Int(denied) == closed.documented[503] ?? 0, "\(denied) store errors counted")

        // After the restart Redis decides again: a fresh count in Redis, enforced.
        try await RedisGateways.eventually("readyz without degradation") {
            try await RedisGateways.readyz(gateway).json["degraded"] as? [String] == []
        }
        var tight: [Int] = []
        for index in 0..<4 { tight.append(try await TestHTTPClient.get(port: port, path: "/api/tight/\(index)").status) }
        #expect(tight == [200, 200, 200, 429])
        #expect(try redis.keys().contains { $0.hasPrefix("{tight:") }, "the limit was not counted in Redis")
        let after = await gateway.waitForFileCount(atMost: descriptors + 8)
        #expect(after <= descriptors + 8, "descriptors: \(descriptors) before, \(after) after")
        try await demo.stop()
    }

    @Test func clamdKilledUnderLoadDeniesUploadsOnlyAndIsUsedAgainWhenBack() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let signatures = try ScanFixtures.signatureDirectory(in: directory)
        var clamd = try await ClamdProcess.start(signatures: signatures)
        defer { clamd.stop() }
        let clamdPort = clamd.tcpPort
        let demo = try await Upstreams.demo()
        let gateway = try await ClamdScanTests.start(upstreamPort: demo.localPort, addresses: ["tcp://127.0.0.1:\(clamdPort)"], clamd: clamd, signatures: signatures, directory: directory)
        defer { gateway.stop() }
        let port = gateway.httpPort
        #expect(Self.upload(try? await Self.upload(port: port, "warm"), "warm") == .answered)
        let descriptors = gateway.openFileCount()

        // Clients 0 and 1 upload (rule `media`, on_scanner_error deny); 2 and 3 read /api.
        let load = FaultLoad()
        let killed = clamd
        let fault = Task {
            await load.waitUntil(completed: 60)
            killed.kill()
        }
        let results = await load.run(clients: 4, each: 60) { client, index in
            if client < 2 {
                let note = "note c\(client) \(index)\n"
                return (true, Self.upload(try? await Self.upload(port: port, note), note))
            }
            let path = "/api/c\(client)/\(index)"
            return (false, FaultTests.outcome(try? await TestHTTPClient.get(port: port, path: path), path: path))
        }
        await fault.value
        let uploads = FaultLoad.Tally(results.filter(\.0).map(\.1))
        let reads = FaultLoad.Tally(results.filter { !$0.0 }.map(\.1))
        print("faults: clamd killed after 60 of 240 requests: uploads \(uploads); GET /api \(reads)")

        #expect(uploads.sent == 120 && reads.sent == 120)
        #expect(reads.answered == 120, "\(reads)")
        #expect(uploads.answered + (uploads.documented[503] ?? 0) == 120, "\(uploads)")
        #expect((uploads.documented[503] ?? 0) > 0, "the fault was not seen")
        let metrics = try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics").text
        let scannerErrors = RedisGateways.sample(metrics, "portcullis_policy_decisions_total{kind=\"upload\",rule=\"media\",outcome=\"scanner_error\"}") ?? 0
        #expect(Int(scannerErrors) == uploads.documented[503] ?? 0, "\(scannerErrors) scanner errors counted")

        // clamd back on its port: uploads are scanned and answered again, no restart of the gateway.
        clamd = try await ClamdProcess.start(signatures: signatures, tcpPort: clamdPort)
        try await RedisGateways.eventually("an upload answered after clamd's restart", seconds: 15) {
            Self.upload(try? await Self.upload(port: port, "after"), "after") == .answered
        }
        let after = await gateway.waitForFileCount(atMost: descriptors + 8)
        #expect(after <= descriptors + 8, "descriptors: \(descriptors) before, \(after) after")
        try await demo.stop()
    }

    static func upload(port: Int, _ note: String) async throws -> TestResponse {
        try await TestHTTPClient.request(port: port, method: .POST, path: "/upload", headers: [("Content-Type", "text/plain")], body: Array(note.utf8))
    }

    /// An upload is answered when the application saw exactly this body (its SHA-256).
    static func upload(_ response: TestResponse?, _ note: String) -> FaultTests.Outcome {
        if let response, response.status == 200, response.header("X-Demo-Instance") != nil {
            let expected = ScanFixtures.sha256(Array(note.utf8))
            return response.json["sha256"] as? String == expected ? .answered : .other("an answer for another body to \(note)")
        }
        return FaultTests.outcome(response)
    }
}
