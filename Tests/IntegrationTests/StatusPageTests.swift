import Foundation
import Portcullis
import Testing

/// The status page at the admin listener's `/`, loaded in headless Chromium (Debian `chromium`)
/// while traffic flows: its script must run under the page's Content-Security-Policy, poll
/// `/status.json` and fill the tables. Chromium is driven over the DevTools protocol by
/// `Scripts/status_page.py`, so the page runs in real time (`--dump-dom` with a virtual time
/// budget would run its one-second timer back to back, with no traffic between the polls).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StatusPageTests {
    static let chromium = "/usr/bin/chromium"

    /// Loads a URL in headless Chromium, lets it run `seconds` of real time and returns the
    /// rendered DOM (standard output), saving a full-page screenshot when asked.
    static func render(_ url: String, seconds: Double, screenshot: String? = nil) throws -> Command.Output {
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw TestFailure("\(chromium) is missing: scripts/setup installs Debian's chromium")
        }
        return try Command.run(Command.python, [Command.script("status_page.py"), url, String(seconds)] + (screenshot.map { [$0] } ?? []), timeout: 60)
    }

    /// The `<tr data-key="…">` rows of the table with this id, by key, as their markup.
    static func rows(_ dom: String, table: String) -> [String: String] {
        guard let start = dom.range(of: "<table id=\"\(table)\""), let end = dom.range(of: "</table>", range: start.upperBound..<dom.endIndex) else { return [:] }
        var rows: [String: String] = [:]
        for part in dom[start.upperBound..<end.lowerBound].components(separatedBy: "<tr data-key=\"").dropFirst() {
            guard let quote = part.firstIndex(of: "\"") else { continue }
            rows[String(part[..<quote])] = String(part[quote...])
        }
        return rows
    }

    /// The `data-value` of the cell with this `data-field` in a row's markup.
    static func value(_ row: String, field: String) -> Double? {
        guard let marker = row.range(of: "data-field=\"\(field)\"") else { return nil }
        let tagStart = row[..<marker.lowerBound].range(of: "<td", options: .backwards)?.lowerBound ?? marker.lowerBound
        let tagEnd = row[marker.upperBound...].firstIndex(of: ">") ?? row.endIndex
        let tag = row[tagStart..<tagEnd]
        guard let valueStart = tag.range(of: "data-value=\"") else { return nil }
        let rest = tag[valueStart.upperBound...]
        return Double(rest[..<(rest.firstIndex(of: "\"") ?? rest.endIndex)])
    }

    /// Requests in a loop until stopped (or 60 s at most): keeps the rates above zero.
    final class Load: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var sent = 0
        private var tasks: [Task<Void, Never>] = []

        init(port: Int, paths: [String]) {
            for path in paths {
                tasks.append(Task {
                    let deadline = Date().addingTimeInterval(60)
                    while Date() < deadline, !self.isStopped {
                        _ = try? await TestHTTPClient.get(port: port, path: path)
                        self.lock.withLock { self.sent += 1 }
                    }
                })
            }
        }

        var isStopped: Bool { lock.withLock { stopped } }

        func stop() async -> Int {
            lock.withLock { stopped = true }
            for task in tasks { await task.value }
            return lock.withLock { sent }
        }
    }

    @Test func chromiumShowsRoutesRatesAndRulesUnderLoad() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start("""
            upstreams:
              app: { endpoints: [127.0.0.1:\(demo.localPort)] }
            routes:
              - { name: api, path_prefix: /api/, upstream: app }
              - { name: site, path_prefix: /, upstream: app }
            """, policies: try ShippedPolicies.files())
        defer { gateway.stop() }

        let page = try await TestHTTPClient.get(port: gateway.adminPort, path: "/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.header("Content-Security-Policy")?.hasPrefix("default-src 'none'; script-src 'sha256-") == true)
        let json = try await TestHTTPClient.get(port: gateway.adminPort, path: "/status.json")
        #expect(json.status == 200)
        #expect(json.header("Content-Type") == "application/json")
        #expect((json.json["routes"] as? [[String: Any]])?.map { $0["name"] as? String } == ["api", "site", "none"])

        let load = Load(port: gateway.httpPort, paths: ["/api/hello", "/", "/api/hello"])
        try await Task.sleep(for: .seconds(2))
        let started = Date()
        let shot = gateway.directory.appendingPathComponent("status-page.png")
        let output = try Self.render("http://127.0.0.1:\(gateway.adminPort)/", seconds: 3.5, screenshot: shot.path)
        let elapsed = Date().timeIntervalSince(started)
        let sent = await load.stop()
        print("status page: chromium took \(String(format: "%.1f", elapsed)) s (3.5 s of it the page running); \(sent) requests sent")

        let dom = output.standardOutput
        #expect(output.status == 0, "chromium: \(output.standardError)")
        #expect(dom.contains("<h1>Portcullis status</h1>"))
        // The script ran (its hash matched the CSP) and polled at least twice.
        #expect(dom.contains("<span id=\"version\">\(PortcullisVersion.string)</span>"), "the script did not run: \(output.standardError.suffix(2000))")
        #expect(dom.contains("<span class=\"window\">"))
        #expect(!dom.contains("<span class=\"window\">(waiting"), "fewer than two reports")
        let routes = Self.rows(dom, table: "routes")
        #expect(Set(routes.keys).isSuperset(of: ["api", "site"]), "routes in the DOM: \(routes.keys.sorted())")
        for name in ["api", "site"] {
            let row = routes[name] ?? ""
            #expect(row.contains(">\(name)</th>"))
            let rate = Self.value(row, field: "rate")
            #expect((rate ?? 0) > 0, "route \(name): rate \(String(describing: rate)) in \(row)")
            #expect((Self.value(row, field: "p99") ?? 0) > 0, "route \(name): no p99 in \(row)")
            #expect((Self.value(row, field: "requests") ?? 0) > 0)
        }
        let classes = Self.rows(dom, table: "status-classes")
        #expect((Self.value(classes["2xx"] ?? "", field: "rate") ?? 0) > 0)
        let endpoints = Self.rows(dom, table: "endpoints")
        #expect(endpoints["app/127.0.0.1:\(demo.localPort)"]?.contains(">up</td>") == true)
        let rules = Self.rows(dom, table: "rules")
        for rule in ["headers/default-html", "cors/api-cors", "rate_limit/login", "rate_limit/api-burst"] {
            #expect(rules[rule] != nil, "rule \(rule) missing: \(rules.keys.sorted())")
        }
        #expect(Self.value(rules["rate_limit/login"] ?? "", field: "refusals") == 0)
        #expect(Self.rows(dom, table: "listeners")["http"] != nil)

        let png = try Data(contentsOf: shot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        if let keep = ProcessInfo.processInfo.environment["PORTCULLIS_STATUS_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: shot, to: URL(fileURLWithPath: keep))
        }
        try await demo.stop()
    }

    @Test func withATokenTheFiguresNeedItAndThePageTakesItFromTheFragment() async throws {
        let token = "s3cret-token-for-tests"
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), adminExtra: "metrics_token: \(token)")
        defer { gateway.stop() }
        for _ in 1...5 { _ = try await TestHTTPClient.get(port: gateway.httpPort, path: "/") }

        let refused = try await TestHTTPClient.get(port: gateway.adminPort, path: "/status.json")
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate") == "Bearer realm=\"portcullis-metrics\"")
        #expect(try await TestHTTPClient.get(port: gateway.adminPort, path: "/status.json", headers: [("Authorization", "Bearer \(token)")]).status == 200)
        // The page itself holds no figures: it loads without the token.
        #expect(try await TestHTTPClient.get(port: gateway.adminPort, path: "/").status == 200)

        let without = try Self.render("http://127.0.0.1:\(gateway.adminPort)/", seconds: 1.5).standardOutput
        #expect(without.contains("<form id=\"token-form\">"), "the token form is not shown")
        #expect(without.contains("waiting for the admin token"))
        #expect(Self.rows(without, table: "routes").isEmpty)

        let with = try Self.render("http://127.0.0.1:\(gateway.adminPort)/#token=\(token)", seconds: 1.5).standardOutput
        #expect(Self.rows(with, table: "routes")["app"] != nil, "with the token the routes show")
        #expect(with.contains("<form id=\"token-form\" hidden=\"\">"))
        #expect((Self.value(Self.rows(with, table: "routes")["app"] ?? "", field: "requests") ?? 0) == 5)
        try await demo.stop()
    }
}
