import Foundation
import NIOHTTP1

/// Gateways whose rate limits live in a real Redis, and what tests read of them.
enum RedisGateways {
    /// The `redis:` section: a generous budget (a debug build on a busy machine), a breaker that
    /// opens after three failures and probes every 100–400 ms, so tests see it recover quickly.
    static func section(url: String, extra: String = "") -> String {
        """
        redis:
          url: \(url)
          timeout: 500ms
          circuit_breaker: { failures: 3, backoff: 100ms, max_backoff: 400ms }
        \(extra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    static func start(upstream: RecordingUpstream, redis: String?, policy: String, arguments: [String] = []) async throws -> GatewayProcess {
        try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port], extra: redis ?? ""), policies: ["limits.yaml": policy], arguments: arguments)
    }

    static func post(_ gateway: GatewayProcess, _ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestHTTPClient.request(port: gateway.httpPort, method: .POST, path: path, headers: headers, body: Array("{}".utf8))
    }

    static func metrics(_ gateway: GatewayProcess) async throws -> String {
        try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics").text
    }

    static func readyz(_ gateway: GatewayProcess) async throws -> TestResponse {
        try await TestHTTPClient.get(port: gateway.adminPort, path: "/readyz")
    }

    /// The value of one series (`name{labels}` exactly as rendered), nil when absent.
    static func sample(_ metrics: String, _ series: String) -> Double? {
        for line in metrics.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Polls `condition` every 50 ms until it holds, failing after `seconds`.
    static func eventually(_ what: String, seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("not within \(seconds) s: \(what)")
    }
}
