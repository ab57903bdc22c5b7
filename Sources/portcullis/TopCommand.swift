import ArgumentParser
import Foundation
import Portcullis

struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live view of a running gateway in the terminal, from its /metrics page.",
        discussion: """
            Scrapes http://ADMIN/metrics every --interval and shows, over the last interval: the \
            request rate by status class; per route the rate, p50 and p99 latency and the gateway's \
            own p99 overhead (from histogram bucket increases, interpolated as Prometheus's \
            histogram_quantile does); upstream health (endpoints up, ejections, failures, p99); \
            rate-limit refusals and bans per rule; open connections and TLS handshake failures \
            per listener. Rates need two scrapes, so the first frame shows "—" for them.

            On a terminal the screen is redrawn in place (Ctrl-C quits); otherwise (a pipe, a file) \
            each frame is printed as plain text after the previous one. --once takes two scrapes \
            --interval apart, prints one frame and exits.
            """
    )

    @Option(help: ArgumentHelp("The admin listener's address (admin.address in the config).", valueName: "host:port"))
    var admin = "127.0.0.1:9090"

    @Option(help: ArgumentHelp("The bearer token of admin.metrics_token. Default: $PORTCULLIS_METRICS_TOKEN.", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Seconds between scrapes (0.1 to 3600).", valueName: "seconds"))
    var interval: Double = 1

    @Flag(help: "Print one frame (two scrapes --interval apart) and exit.")
    var once = false

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
    }

    func run() async throws {
        let client: MetricsClient
        do {
            client = try MetricsClient(address: admin, token: token ?? ProcessInfo.processInfo.environment["PORTCULLIS_METRICS_TOKEN"])
        } catch {
            Self.fail(error)
        }
        let terminal = isatty(STDOUT_FILENO) == 1
        let clock = ContinuousClock()
        let pause = Duration.milliseconds(Int64((interval * 1000).rounded()))

        var previous: (page: MetricsPage, time: ContinuousClock.Instant)?
        if once {
            do {
                previous = (try await Self.scrape(client), clock.now)
                try await Task.sleep(for: pause)
                let page = try await Self.scrape(client)
                let stats = TopStatistics(previous: previous?.page, current: page, seconds: Self.seconds(clock.now - previous!.time))
                Self.write(TopView.render(stats, source: client.address, time: Self.wallClock(), ansi: terminal).joined(separator: "\n") + "\n")
            } catch {
                Self.fail(error)
            }
            return
        }

        var stats: TopStatistics?
        var first = true
        var next = clock.now
        while true {
            var problem: String?
            do {
                let page = try await Self.scrape(client)
                let now = clock.now
                stats = TopStatistics(previous: previous?.page, current: page, seconds: previous.map { Self.seconds(now - $0.time) } ?? 0)
                previous = (page, now)
            } catch {
                // Before the first good scrape there is nothing to show: say why and stop.
                if stats == nil { Self.fail(error) }
                problem = "\(error)"
            }
            if let stats {
                let lines = TopView.render(stats, source: client.address, time: Self.wallClock(), problem: problem, ansi: terminal)
                Self.write(terminal ? TopView.screen(lines, first: first) : lines.joined(separator: "\n") + "\n\n")
                first = false
            }
            next = next.advanced(by: pause)
            if next < clock.now { next = clock.now.advanced(by: pause) }
            try await Task.sleep(until: next, clock: clock)
        }
    }

    static func scrape(_ client: MetricsClient) async throws -> MetricsPage {
        let text = try await client.fetch()
        do {
            return try PrometheusTextParser.parse(text)
        } catch {
            throw CleanError("http://\(client.address)\(client.path) is not a Prometheus text page: \(error)")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func wallClock() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// One line on stderr and exit status 1: never a stack trace.
    static func fail(_ error: any Error) -> Never {
        var standardError = FileHandle.standardError
        print("portcullis top: \(error)", to: &standardError)
        Foundation.exit(1)
    }

    struct CleanError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
