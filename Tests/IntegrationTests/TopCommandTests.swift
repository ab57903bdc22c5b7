import Foundation
import Portcullis
import Testing

/// `portcullis top` against a real gateway: under a pseudo-terminal while loopback load runs, as
/// plain text through a pipe, and its errors when the admin listener is away or wants a token.
@Suite(.timeLimit(.minutes(1)))
struct TopCommandTests {
    static let escape = try! NSRegularExpression(pattern: "\u{1B}\\[[0-9;?]*[A-Za-z]")

    static func stripped(_ text: String) -> String {
        escape.stringByReplacingMatches(in: text, range: NSRange(location: 0, length: (text as NSString).length), withTemplate: "")
    }

    /// The lines of a frame's section, from its header (a line starting with `header`) to the blank line after it.
    static func section(_ frame: String, _ header: String) -> [String] {
        let lines = frame.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(header) }) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
    }

    /// Runs a blocking command off the cooperative pool, so the load keeps running meanwhile.
    static func runOffPool(_ executable: String, _ arguments: [String], timeout: TimeInterval = 30) async throws -> Command.Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Command.run(executable, arguments, timeout: timeout) })
            }
        }
    }

    @Test func underATerminalItRedrawsRatesPerRouteAndUpstreamHealthWhileLoadRuns() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        // Bounded loopback load for about three seconds, one request at a time.
        let load = Task {
            var sent = 0
            let deadline = Date().addingTimeInterval(3)
            while Date() < deadline {
                _ = try? await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello")
                sent += 1
            }
            return sent
        }
        let run = try await Self.runOffPool(Command.python, [Command.script("top_pty.py"), TestPaths.gatewayBinary, "3", "--admin", "127.0.0.1:\(gateway.adminPort)", "--interval", "0.5"])
        let sent = await load.value
        #expect(sent > 10)
        #expect(run.standardError.contains("signal 2"), "top should still be running when interrupted: \(run.standardError) \(run.standardOutput.suffix(500))")

        // The terminal turns each "\n" into "\r\n" (onlcr).
        let raw = run.standardOutput.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(raw.hasPrefix("\u{1B}[2J\u{1B}[H"), "a terminal gets a cleared screen first")
        let frames = raw.components(separatedBy: "\u{1B}[H").map(Self.stripped).filter { $0.contains("portcullis top") }
        #expect(frames.count >= 3, "frames: \(frames.count)\n\(Self.stripped(raw))")
        for frame in frames {
            for line in frame.split(separator: "\n") { #expect(line.count <= 100, "wider than 100 columns: \(line)") }
        }
        // A frame while the load ran: the route has a non-zero rate and percentiles, the upstream is up.
        let busy = frames.dropFirst().first { frame in
            Self.section(frame, "ROUTE").contains { line in
                let cells = line.split(separator: " ")
                return cells.first == "app" && (Double(cells[1]) ?? 0) > 0 && cells[2] != "—" && cells[3] != "—"
            }
        }
        let frame = try #require(busy, "no frame shows a rate for route app:\n\(frames.joined(separator: "\n----\n"))")
        let upstream = try #require(Self.section(frame, "UPSTREAM").first { $0.hasPrefix("app") })
        #expect(upstream.split(separator: " ").dropFirst().first == "up", "\(upstream)")
        #expect(upstream.contains("1/1"))
        #expect(Self.section(frame, "LISTENER").contains { $0.hasPrefix("http ") })
        try await demo.stop()
    }

    @Test func throughAPipeItPrintsOnePlainFrameWithOnce() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), adminExtra: "metrics_token: s3cret-token-for-tests")
        defer { gateway.stop() }
        for _ in 1...4 { #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello").status == 200) }

        let admin = "127.0.0.1:\(gateway.adminPort)"
        let result = try Command.run("/usr/bin/env", ["PORTCULLIS_METRICS_TOKEN=s3cret-token-for-tests", TestPaths.gatewayBinary, "top", "--once", "--interval", "0.2", "--admin", admin])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardOutput.contains("\u{1B}"), "no escape codes into a pipe")
        #expect(result.standardOutput.hasPrefix("portcullis top · \(admin) · v"))
        #expect(Self.section(result.standardOutput, "ROUTE").contains { $0.hasPrefix("app ") })
        #expect(Self.section(result.standardOutput, "UPSTREAM").contains { $0.hasPrefix("app ") && $0.contains(" up ") })

        // The token: missing, then wrong.
        let missing = try Command.run(TestPaths.gatewayBinary, ["top", "--once", "--admin", admin])
        #expect(missing.status == 1)
        #expect(missing.standardError == "portcullis top: the admin listener at \(admin) wants a token (401): pass --token or set PORTCULLIS_METRICS_TOKEN (admin.metrics_token in the config)\n")
        let wrong = try Command.run(TestPaths.gatewayBinary, ["top", "--once", "--admin", admin, "--token", "not-the-token"])
        #expect(wrong.status == 1)
        #expect(wrong.standardError.contains("refused the token (401)"))
        try await demo.stop()
    }

    @Test func anUnreachableAdminListenerIsOneClearLine() throws {
        let port = try FreePort.next()  // nothing listens there
        let result = try Command.run(TestPaths.gatewayBinary, ["top", "--admin", "127.0.0.1:\(port)"])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == "portcullis top: cannot reach the admin listener at 127.0.0.1:\(port) (connection refused); is the gateway running, and is this its admin.address?\n")
        let bad = try Command.run(TestPaths.gatewayBinary, ["top", "--admin", "localhost"])
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("'localhost' is not an address"))
    }
}
