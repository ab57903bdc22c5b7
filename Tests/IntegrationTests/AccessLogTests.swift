import Foundation
import Testing

/// The access log and the audit log of a real gateway, written to files, read back as JSON.
@Suite(.timeLimit(.minutes(1)))
struct AccessLogTests {
    static func lines(_ url: URL, atLeast count: Int, matching: (([String: Any]) -> Bool)? = nil) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(5)
        var parsed: [[String: Any]] = []
        while Date() < deadline {
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            parsed = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if parsed.filter({ matching?($0) ?? true }).count >= count { return parsed }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("fewer than \(count) lines in \(url.path): \(parsed)")
    }

    @Test func everyRequestIsOneLineWithItsDecisionsAndNoSecrets() async throws {
        let demo = try await Upstreams.demo()
        let logs = try TestPaths.temporaryDirectory()
        let access = logs.appendingPathComponent("access.log")
        let audit = logs.appendingPathComponent("audit.log")
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort], extra: """
            access_log: { destination: \(access.path), log_headers: [User-Agent, Authorization] }
            audit_log: { destination: \(audit.path) }
            """), policies: try ShippedPolicies.files())
        defer { gateway.stop() }

        let allowed = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello?token=hunter2secret&page=2", headers: [("User-Agent", "test-agent/1.0"), ("Authorization", "Bearer hunter2token")])
        let requestId = try #require(allowed.header("X-Request-Id"))
        for _ in 1...6 { _ = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/login", body: Array("{}".utf8)) }
        let refused = try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: "/api/items", headers: [("Origin", "https://evil.example")], body: Array("{}".utf8))
        #expect(refused.status == 403)

        let lines = try await Self.lines(access, atLeast: 8)
        let text = try String(contentsOf: access, encoding: .utf8)
        #expect(!text.contains("hunter2"), "a secret reached the access log: \(text)")

        let first = try #require(lines.first { $0["request_id"] as? String == requestId })
        #expect(first["method"] as? String == "GET")
        #expect(first["path"] as? String == "/api/hello")
        #expect(first["query"] as? String == "token=REDACTED&page=REDACTED")
        #expect(first["status"] as? Int == 200)
        #expect(first["client"] as? String == "127.0.0.1")
        #expect(first["route"] as? String == "app")
        #expect(first["upstream"] as? String == "app")
        #expect((first["duration_ms"] as? Double ?? -1) >= (first["upstream_ms"] as? Double ?? 0))
        #expect((first["trace_id"] as? String)?.count == 32)
        #expect(first["user_agent"] as? String == "test-agent/1.0")
        #expect(first["authorization"] as? String == "REDACTED")
        #expect((first["time"] as? String)?.hasSuffix("Z") == true)

        let limited = try #require(lines.first { $0["status"] as? Int == 429 })
        let limitedDecisions = limited["decisions"] as? [[String: String]] ?? []
        #expect(limitedDecisions.contains(["kind": "rate_limit", "rule": "login", "outcome": "limited"]), "\(limitedDecisions)")
        let cors = try #require(lines.first { $0["status"] as? Int == 403 })
        #expect((cors["decisions"] as? [[String: String]] ?? []).contains(["kind": "cors", "rule": "api-cors", "outcome": "refused"]))

        // The audit log: one block line for each refusal, naming the rule.
        let auditLines = try await Self.lines(audit, atLeast: 2) { $0["event"] as? String == "block" }
        let blocks = auditLines.filter { $0["event"] as? String == "block" }
        #expect(Set(blocks.compactMap { $0["rule"] as? String }) == ["login", "api-cors"])
        #expect(blocks.allSatisfy { $0["client"] as? String == "127.0.0.1" && ($0["request_id"] as? String)?.count == 15 })

        // The lines are counted in the metrics.
        let metrics = String(decoding: try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics").body, as: UTF8.self)
        let written = metrics.split(separator: "\n").first { $0.hasPrefix("portcullis_log_lines_total{log=\"access\",result=\"written\"}") }
        #expect(written.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 8 } == true, "\(written ?? "none")")

        // A policy reload is audited too.
        try (try ShippedPolicies.files()["headers.yaml"]! + "\n# edited\n").write(to: gateway.policyDirectory.appendingPathComponent("headers.yaml"), atomically: true, encoding: .utf8)
        let reloads = try await Self.lines(audit, atLeast: 1) { $0["event"] as? String == "policy_reload" }
        #expect(reloads.contains { $0["event"] as? String == "policy_reload" })
        try await demo.stop()
    }
}
