import Foundation
import Testing

/// SIGTERM drains in-flight requests; bad configs are refused with every problem listed.
@Suite(.timeLimit(.minutes(1)))
struct LifecycleTests {
    @Test func sigtermDrainsAnInFlightRequestThenExitsZero() async throws {
        let upstream = try await RecordingUpstream.start(delay: .milliseconds(1500))
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port], extra: "timeouts: { drain: 10s }"))
        defer { gateway.stop() }

        async let slow = TestHTTPClient.get(port: gateway.httpPort, path: "/in-flight")
        // Wait until the application has the request: then it is in flight for sure.
        let deadline = Date().addingTimeInterval(10)
        while !upstream.receivedText.contains("/in-flight"), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        kill(gateway.pid, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        // New connections are refused while the in-flight request finishes.
        await #expect(throws: (any Error).self) { _ = try await TestHTTPClient.get(port: gateway.httpPort, path: "/late") }
        let response = try await slow
        #expect(response.status == 200)
        #expect(response.text == "ok")
        let status = gateway.terminate(timeout: 10)
        #expect(status == 0)
        #expect(gateway.log.contains("draining"))
        #expect(!upstream.receivedText.contains("/late"))
        await upstream.stop()
    }

    /// `portcullis run` executes itself again with glibc's per-thread cache of freed blocks
    /// enlarged (MallocTuning), keeping its pid, and serves.
    @Test func runEnlargesTheAllocatorCacheAndKeepsItsPid() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/").status == 200)
        let environment = try String(contentsOfFile: "/proc/\(gateway.pid)/environ", encoding: .utf8)
        #expect(environment.split(separator: "\0").contains("GLIBC_TUNABLES=glibc.malloc.tcache_count=1024"))
        try await demo.stop()
    }

    @Test func validateListsEveryMistakeWithItsPosition() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try """
            listeners:
              - name: http
                adress: 127.0.0.1:8080
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000]
                balance: fastest
            routes:
              - name: app
                upstream: dmeo
            """.write(to: file, atomically: true, encoding: .utf8)

        let result = try Command.run(TestPaths.gatewayBinary, ["validate", "--config", file.path])
        let output = result.standardError
        #expect(result.status == 2)
        #expect(output.contains("\(file.path):3:5: unknown key 'adress' in listeners[0]; did you mean 'address'?"))
        #expect(output.contains("\(file.path):7:14: upstreams.demo.balance must be one of round_robin, least_outstanding; found 'fastest'"))
        #expect(output.contains("\(file.path):10:15: route 'app' names upstream 'dmeo', which is not defined; did you mean 'demo'?"))
    }

    /// The default scanner (libclamav with `signatures/`, relative to the working directory) is
    /// needed only by upload rules: without it a gateway with other policies starts, and one with
    /// upload rules refuses to start rather than serve them unchecked.
    @Test func withoutTheDefaultScannerOnlyUploadRulesAreRefused() throws {
        let directory = try TestPaths.temporaryDirectory()  // no signatures/ here
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = directory.appendingPathComponent("policies")
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        try "headers:\n  global:\n    set: { X-Frame-Options: DENY }\n".write(to: policies.appendingPathComponent("headers.yaml"), atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent("portcullis.yaml")
        try """
            listeners:
              - { name: http, address: "127.0.0.1:\(try FreePort.next())" }
            upstreams:
              demo: { endpoints: [127.0.0.1:3000] }
            routes:
              - { name: app, upstream: demo }
            policies: { directory: \(policies.path) }
            """.write(to: file, atomically: true, encoding: .utf8)
        let start = "cd '\(directory.path)' && timeout 3 '\(TestPaths.gatewayBinary)' run --config '\(file.path)'; echo \"exit $?\""
        let running = try Command.run("/bin/sh", ["-c", start])
        #expect(running.standardOutput.contains("exit 124"), "it should still be serving when timeout stops it: \(running.standardError)")
        #expect(running.standardError.contains("no upload scanner"))

        try "uploads:\n  - name: media\n    match: { path: /upload }\n    max_bytes: 1MiB\n".write(to: policies.appendingPathComponent("uploads.yaml"), atomically: true, encoding: .utf8)
        let refused = try Command.run("/bin/sh", ["-c", start])
        #expect(refused.standardOutput.contains("exit 2"))
        #expect(refused.standardError.contains("\(policies.path)/uploads.yaml:2:5: rule 'media': upload rules need a scanner, and none is running"))
    }

    @Test func missingEnvironmentVariableIsNamedAtStart() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("env.yaml")
        try """
            listeners:
              - { name: http, address: "127.0.0.1:${PORTCULLIS_TEST_UNSET_PORT}" }
            upstreams:
              demo: { endpoints: [127.0.0.1:3000] }
            routes:
              - { name: app, upstream: demo }
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try Command.run(TestPaths.gatewayBinary, ["run", "--config", file.path])
        #expect(result.status == 2)
        #expect(result.standardError.contains("names the environment variable 'PORTCULLIS_TEST_UNSET_PORT', which is not set"))
    }

    @Test func adminHealthAndReadiness() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }
        let health = try await TestHTTPClient.get(port: gateway.adminPort, path: "/healthz")
        #expect(health.status == 200)
        let ready = try await TestHTTPClient.get(port: gateway.adminPort, path: "/readyz")
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
        try await demo.stop()
    }
}
