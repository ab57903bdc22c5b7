import Foundation
import Testing

/// Policy files edited while the gateway runs: picked up within a second under load without a
/// failed request, a broken edit refused with its position in the log, SIGHUP reloading at once.
@Suite(.timeLimit(.minutes(1)))
struct PolicyReloadTests {
    static func policy(version: String) -> String {
        """
        headers:
          global:
            set: { X-Policy-Version: \(version), X-Frame-Options: DENY }
        """
    }

    @Test func anEditUnderLoadTakesEffectWithinASecondWithoutFailures() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), policies: ["headers.yaml": Self.policy(version: "one")])
        defer { gateway.stop() }
        let newText = gateway.directory.appendingPathComponent("new-policy.txt")
        try Self.policy(version: "two").write(to: newText, atomically: true, encoding: .utf8)
        let policyFile = gateway.policyDirectory.appendingPathComponent("headers.yaml").path

        let output = try Command.run(Command.python, [Command.script("policy_reload_load.py"), String(gateway.httpPort), policyFile, newText.path], timeout: 30)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any], "\(output.standardOutput)\(output.standardError)")
        #expect(report["failure_count"] as? Int == 0, "\(report)")
        #expect((report["requests"] as? Int ?? 0) > 100, "\(report)")
        #expect((report["requests_after_edit"] as? Int ?? 0) > 50, "\(report)")
        #expect(report["versions"] as? [String] == ["one", "two"], "\(report)")
        let firstNew = try #require(report["first_new_after_edit"] as? Double, "\(report)")
        #expect(firstNew < 1.0, "\(report)")
        #expect((report["last_old_after_edit"] as? Double ?? 9) < 1.0, "\(report)")
        #expect(gateway.log.contains("policy reloaded"))
        try await demo.stop()
    }

    @Test func aBrokenEditKeepsThePreviousPolicyAndIsLoggedWithItsPosition() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), policies: ["headers.yaml": Self.policy(version: "one")])
        defer { gateway.stop() }
        let file = gateway.policyDirectory.appendingPathComponent("headers.yaml")

        try """
            headers:
              global:
                sett: { X-Policy-Version: broken }
            """.write(to: file, atomically: false, encoding: .utf8)
        try await Self.waitForLog(gateway, containing: "policy reload refused")
        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello")
        #expect(response.status == 200)
        #expect(response.header("X-Policy-Version") == "one")
        #expect(gateway.log.contains("policy reload refused: \(file.path):3:5: unknown key 'sett' in headers.global; did you mean 'set'?"), "\(gateway.log)")

        // Fixed again: taken at once.
        try Self.policy(version: "three").write(to: file, atomically: true, encoding: .utf8)
        try await Self.waitForLog(gateway, containing: "policy reloaded")
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello").header("X-Policy-Version") == "three")
        try await demo.stop()
    }

    @Test func aRequestInFlightKeepsThePolicyItStartedWith() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), policies: ["headers.yaml": Self.policy(version: "one")])
        defer { gateway.stop() }
        // The application takes 1.5 s to answer; the policy changes meanwhile.
        let port = gateway.httpPort
        let slow = Task { try await TestHTTPClient.get(port: port, path: "/slow?ms=1500") }
        try await Task.sleep(for: .milliseconds(200))
        try Self.policy(version: "two").write(to: gateway.policyDirectory.appendingPathComponent("headers.yaml"), atomically: true, encoding: .utf8)
        try await Self.waitForLog(gateway, containing: "policy reloaded")
        #expect(try await TestHTTPClient.get(port: port, path: "/").header("X-Policy-Version") == "two")
        let response = try await slow.value
        #expect(response.status == 200)
        #expect(response.header("X-Policy-Version") == "one")
        try await demo.stop()
    }

    @Test func sighupReloadsAtOnce() async throws {
        let demo = try await Upstreams.demo()
        // Polling is slowed to an hour: only the signal can make the change visible.
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), policies: ["headers.yaml": Self.policy(version: "one")], policyReloadInterval: "1h")
        defer { gateway.stop() }
        try Self.policy(version: "two").write(to: gateway.policyDirectory.appendingPathComponent("headers.yaml"), atomically: true, encoding: .utf8)
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/").header("X-Policy-Version") == "one")
        kill(gateway.pid, SIGHUP)
        try await Self.waitForLog(gateway, containing: "reason=SIGHUP")
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/").header("X-Policy-Version") == "two")
        #expect(gateway.process.isRunning)
        try await demo.stop()
    }

    @Test func anInvalidPolicyAtStartIsAStartupError() throws {
        let gateway = try GatewayProcess(configBody: Upstreams.config(endpoints: [1]), policies: ["headers.yaml": "headers:\n  global:\n    set: { X-Frame-Options: \"a\\u0001b\" }\n"])
        defer { gateway.stop() }
        gateway.process.waitUntilExit()
        #expect(gateway.process.terminationStatus == 2)
        #expect(gateway.log.contains("\(gateway.policyDirectory.path)/headers.yaml:3:"), "\(gateway.log)")
    }

    static func waitForLog(_ gateway: GatewayProcess, containing text: String) async throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if gateway.log.contains(text) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no log line with '\(text)' within 5 s: \(gateway.log)")
    }
}
