import Foundation
import Testing

/// Faults while traffic flows (bounded loopback load, fixed counts): every request sent is
/// accounted for as answered correctly or answered with a documented error (502/503/504
/// problem+json); none hangs, and the gateway's descriptors return to their baseline.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FaultTests {
    /// What a client saw: a 200 from the application, a documented gateway error, or something else.
    enum Outcome: Hashable {
        case answered
        case documentedError(Int)
        case other(String)
    }

    /// - Parameter path: for `/api/…` requests, the path the application must have answered (the
    ///   demo echoes it): no request gets another's response.
    static func outcome(_ response: TestResponse?, path: String? = nil) -> Outcome {
        guard let response else { return .other("no answer") }
        if response.status == 200, response.header("X-Demo-Instance") != nil {
            if let path, response.json["path"] as? String != path { return .other("answer for \(response.json["path"] ?? "?") to \(path)") }
            return .answered
        }
        if [502, 503, 504].contains(response.status), response.header("Content-Type") == "application/problem+json",
            response.json["request_id"] as? String == response.header("X-Request-Id") {
            return .documentedError(response.status)
        }
        return .other("\(response.status) \(response.text.prefix(120))")
    }

    /// `clients` sequential clients, `each` requests each; returns every outcome.
    /// - Parameter slowEvery: every so many requests goes to `/slow?ms=1000` instead (0: none).
    static func load(port: Int, clients: Int, each: Int, slowEvery: Int = 0) async -> [Outcome] {
        await withTaskGroup(of: [Outcome].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var outcomes: [Outcome] = []
                    for index in 0..<each {
                        if slowEvery > 0, index % slowEvery == slowEvery - 1 {
                            outcomes.append(outcome(try? await TestHTTPClient.get(port: port, path: "/slow?ms=1000")))
                            continue
                        }
                        let path = "/api/c\(client)/\(index)"
                        outcomes.append(outcome(try? await TestHTTPClient.get(port: port, path: path), path: path))
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    @Test func aSighupStormUnderLoadLosesNoRequest() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), policies: try ShippedPolicies.files(), policyReloadInterval: "1s")
        defer { gateway.stop() }
        _ = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api")
        let descriptors = gateway.openFileCount()

        let pid = gateway.pid
        let storm = Task.detached {
            for _ in 0..<100 {
                kill(pid, SIGHUP)
                usleep(10_000)
            }
        }
        let outcomes = await Self.load(port: gateway.httpPort, clients: 4, each: 100)
        await storm.value

        let others = outcomes.filter { if case .other = $0 { return true } else { return false } }
        print("faults: SIGHUP storm (100 signals, 10 ms apart) under 4 × 100 requests: \(outcomes.filter { $0 == .answered }.count) answered, \(others.count) other")
        #expect(outcomes.count == 400)
        #expect(outcomes.allSatisfy { $0 == .answered }, "\(Set(outcomes))")
        #expect(gateway.process.isRunning)
        let after = await gateway.waitForFileCount(atMost: descriptors + 4)
        #expect(after <= descriptors + 4, "descriptors: \(descriptors) before, \(after) after")
        try await demo.stop()
    }

    @Test func anUpstreamKilledAndRestartedUnderLoadGivesOnlyAnswersAndDocumentedErrors() async throws {
        let first = try await Upstreams.demo()
        let port = first.localPort
        let gateway = try await GatewayProcess.start(Upstreams.config(
            endpoints: [port],
            upstreamExtra: "    health: { max_failures: 2, ejection: 500ms, max_ejection: 1s }"
        ))
        defer { gateway.stop() }
        _ = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api")
        let descriptors = gateway.openFileCount()

        // The application dies after a moment and comes back on the same port a second later.
        let fault = Task {
            try await Task.sleep(for: .milliseconds(300))
            try await first.stop()
            try await Task.sleep(for: .seconds(1))
            return try await Upstreams.demo(name: "restarted", port: port)
        }
        let outcomes = await Self.load(port: gateway.httpPort, clients: 4, each: 150)
        let restarted = try await fault.value
        // After the ejection has run out, the restarted application answers again.
        try await Task.sleep(for: .milliseconds(1200))
        let later = Self.outcome(try? await TestHTTPClient.get(port: gateway.httpPort, path: "/api/after"))

        let answered = outcomes.filter { $0 == .answered }.count
        let documented = outcomes.filter { if case .documentedError = $0 { return true } else { return false } }.count
        let others = outcomes.filter { if case .other = $0 { return true } else { return false } }
        print("faults: upstream killed and restarted under 4 × 150 requests: \(answered) answered, \(documented) documented errors (\(Set(outcomes))), \(others.count) other")
        #expect(outcomes.count == 600)
        #expect(answered + documented == 600, "\(others.prefix(3))")
        #expect(documented > 0, "the fault was not seen: it came too late")
        #expect(later == .answered)
        let after = await gateway.waitForFileCount(atMost: descriptors + 8)
        #expect(after <= descriptors + 8, "descriptors: \(descriptors) before, \(after) after")
        try await restarted.stop()
    }

    @Test func aSlowUpstreamUnderLoadGives504ForTheSlowRequestsOnly() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(
            endpoints: [demo.localPort], extra: "timeouts: { upstream_response: 300ms }",
            upstreamExtra: "    health: { max_failures: 1000 }"
        ))
        defer { gateway.stop() }
        _ = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api")
        let descriptors = gateway.openFileCount()

        let outcomes = await Self.load(port: gateway.httpPort, clients: 4, each: 50, slowEvery: 5)
        let answered = outcomes.filter { $0 == .answered }.count
        let timedOut = outcomes.filter { $0 == .documentedError(504) }.count
        let others = outcomes.filter { if case .other = $0 { return true } else { return false } }
        print("faults: slow upstream (1 request in 5 takes 1 s, upstream_response 300ms) under 4 × 50 requests: \(answered) answered, \(timedOut) × 504, \(others.count) other")
        #expect(outcomes.count == 200)
        #expect(answered == 160 && timedOut == 40, "\(others.prefix(3))")
        let after = await gateway.waitForFileCount(atMost: descriptors + 8)
        #expect(after <= descriptors + 8, "descriptors: \(descriptors) before, \(after) after")
        try await demo.stop()
    }

    /// A policy file replaced with a broken one, then with a good one, while 4 × 100 requests flow:
    /// every request is answered, the broken edit is refused with its position (the previous policy
    /// stays in force meanwhile), and the good one takes effect.
    @Test func aBrokenThenAGoodPolicyUnderLoadLosesNoRequest() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), policies: ["headers.yaml": PolicyReloadTests.policy(version: "one")])
        defer { gateway.stop() }
        _ = try await TestHTTPClient.get(port: gateway.httpPort, path: "/api")
        let descriptors = gateway.openFileCount()
        let file = gateway.policyDirectory.appendingPathComponent("headers.yaml")

        let pid = gateway.pid
        let edits = Task.detached {
            try? await Task.sleep(for: .milliseconds(200))
            try? "headers:\n  global:\n    sett: { X-Policy-Version: broken }\n".write(to: file, atomically: true, encoding: .utf8)
            kill(pid, SIGHUP)
            try? await Task.sleep(for: .milliseconds(400))
            try? PolicyReloadTests.policy(version: "two").write(to: file, atomically: true, encoding: .utf8)
            kill(pid, SIGHUP)
        }
        let outcomes = await Self.load(port: gateway.httpPort, clients: 4, each: 100)
        await edits.value

        let others = outcomes.filter { if case .other = $0 { return true } else { return false } }
        print("faults: broken then good policy under 4 × 100 requests: \(outcomes.filter { $0 == .answered }.count) answered, \(others.count) other")
        #expect(outcomes.count == 400)
        #expect(outcomes.allSatisfy { $0 == .answered }, "\(Set(outcomes))")
        #expect(gateway.log.contains("policy reload refused: \(file.path):3:5: unknown key 'sett'"), "\(gateway.log)")
        try await PolicyReloadTests.waitForLog(gateway, containing: "policy reloaded")
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello").header("X-Policy-Version") == "two")
        let after = await gateway.waitForFileCount(atMost: descriptors + 4)
        #expect(after <= descriptors + 4, "descriptors: \(descriptors) before, \(after) after")
        try await demo.stop()
    }
}
