import Foundation

/// A well-behaved client measured while an attack runs: sequential GETs, one connection each,
/// timed from connect to the last byte.
enum WellBehavedClient {
    struct Latency: CustomStringConvertible {
        var sorted: [Duration]
        var failures: [String]

        func percentile(_ p: Double) -> Duration {
            guard !sorted.isEmpty else { return .zero }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }

        var p50: Duration { percentile(0.50) }
        var p99: Duration { percentile(0.99) }

        static func milliseconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            return String(format: "%.1fms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
        }

        var description: String {
            "\(sorted.count) answers, \(failures.count) failures, p50 \(Self.milliseconds(p50)), p99 \(Self.milliseconds(p99))"
        }
    }

    static func measure(port: Int, path: String = "/api", count: Int = 100) async -> Latency {
        var durations: [Duration] = []
        var failures: [String] = []
        let clock = ContinuousClock()
        for index in 0..<count {
            let start = clock.now
            do {
                let response = try await TestHTTPClient.get(port: port, path: "\(path)?n=\(index)")
                if response.status == 200 { durations.append(clock.now - start) } else { failures.append("status \(response.status)") }
            } catch {
                failures.append("\(error)")
            }
        }
        return Latency(sorted: durations.sorted(), failures: failures)
    }
}

extension GatewayProcess {
    /// Open file descriptors of the gateway process (sockets included).
    func openFileCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// Polls until the gateway's descriptors are back to `baseline` (plus `slack`), bounded: 15 s.
    func waitForFileCount(atMost limit: Int) async -> Int {
        let deadline = Date().addingTimeInterval(15)
        var count = openFileCount()
        while count > limit, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            count = openFileCount()
        }
        return count
    }
}

extension WellBehavedClient {
    /// What h2load reported for a well-behaved HTTP/2 client.
    struct HTTP2Run: CustomStringConvertible {
        var succeeded = 0
        /// Milliseconds, from h2load's "time for request" line.
        var mean = 0.0
        var max = 0.0

        var description: String { String(format: "h2load: %d succeeded, mean %.1fms, max %.1fms", succeeded, mean, max) }
    }

    /// h2load as a well-behaved HTTP/2 client: `count` requests one at a time on one TLS connection.
    static func measureHTTP2(tlsPort: Int, count: Int = 100) throws -> HTTP2Run {
        let result = try Command.run("/usr/bin/h2load", ["-n", String(count), "-c", "1", "-m", "1", "https://127.0.0.1:\(tlsPort)/api"], timeout: 60)
        var run = HTTP2Run()
        for line in result.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("requests:"), let index = fields.firstIndex(of: "succeeded,") {
                run.succeeded = Int(fields[index - 1]) ?? 0
            }
            if line.hasPrefix("time for request:"), fields.count >= 6 {
                run.max = milliseconds(fields[4])
                run.mean = milliseconds(fields[5])
            }
        }
        return run
    }

    /// h2load's durations: `812us`, `1.23ms`, `2.01s`.
    private static func milliseconds(_ text: Substring) -> Double {
        if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
        if text.hasSuffix("s") { return (Double(text.dropLast()) ?? 0) * 1000 }
        return 0
    }
}
