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
