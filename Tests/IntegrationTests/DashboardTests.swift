import Foundation
import Portcullis
import Testing

/// `config/grafana/portcullis.json` imports as is, and every query in it names only metrics that
/// docs/metrics.md lists and that a real gateway's `/metrics` page carries, with labels they
/// have; Prometheus's own `promtool` parses every query.
@Suite(.timeLimit(.minutes(1)))
struct DashboardTests {
    static var dashboardURL: URL { TestPaths.packageRoot.appendingPathComponent("config/grafana/portcullis.json") }

    static func dashboard() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dashboardURL)) as? [String: Any])
    }

    /// Every panel, those inside collapsed rows included.
    static func panels(_ dashboard: [String: Any]) -> [[String: Any]] {
        var all: [[String: Any]] = []
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            all.append(panel)
            all += panel["panels"] as? [[String: Any]] ?? []
        }
        return all
    }

    /// (where, PromQL) for every panel target, annotation and template variable.
    static func queries(_ dashboard: [String: Any]) -> [(place: String, expr: String)] {
        var queries: [(String, String)] = []
        for panel in panels(dashboard) {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                queries.append(("panel \(panel["id"] ?? "?") \"\(panel["title"] ?? "")\" \(target["refId"] ?? "?")", target["expr"] as? String ?? ""))
            }
        }
        for annotation in (dashboard["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
            if let expr = annotation["expr"] as? String { queries.append(("annotation \(annotation["name"] ?? "")", expr)) }
        }
        return queries
    }

    /// `label_values(selector, label)` of the query variables, as (selector, label).
    static func variableQueries(_ dashboard: [String: Any]) -> [(name: String, selector: String, label: String)] {
        var result: [(String, String, String)] = []
        for variable in (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] where variable["type"] as? String == "query" {
            let definition = variable["definition"] as? String ?? ""
            guard definition.hasPrefix("label_values("), definition.hasSuffix(")"), let comma = definition.lastIndex(of: ",") else {
                result.append((variable["name"] as? String ?? "?", definition, ""))
                continue
            }
            let selector = String(definition[definition.index(definition.startIndex, offsetBy: "label_values(".count)..<comma])
            let label = definition[definition.index(after: comma)...].dropLast().trimmingCharacters(in: .whitespaces)
            result.append((variable["name"] as? String ?? "?", selector, label))
        }
        return result
    }

    /// Grafana's variables replaced by what Prometheus would receive.
    static func substituted(_ expr: String) -> String {
        expr.replacingOccurrences(of: "$__rate_interval", with: "5m")
            .replacingOccurrences(of: "$__interval", with: "1m")
            .replacingOccurrences(of: "$__range", with: "1h")
            .replacingOccurrences(of: "$instance", with: ".*")
            .replacingOccurrences(of: "$route", with: ".*")
            .replacingOccurrences(of: "$upstream", with: ".*")
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            (0..<match.numberOfRanges).map { match.range(at: $0).location == NSNotFound ? "" : ns.substring(with: match.range(at: $0)) }
        }
    }

    /// Metric names and types from the tables of docs/metrics.md.
    static func documentedMetrics() throws -> [String: String] {
        let text = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        var metrics: [String: String] = [:]
        for match in matches(#"(?m)^\| `(portcullis_[a-z0-9_]+)` \| ([a-z]+) \|"#, in: text) { metrics[match[1]] = match[2] }
        return metrics
    }

    @Test func theDashboardImportsAsIs() throws {
        let dashboard = try Self.dashboard()
        #expect(dashboard["title"] as? String == "Portcullis")
        #expect(dashboard["uid"] as? String == "portcullis")
        #expect(dashboard["schemaVersion"] as? Int == 39)
        #expect(dashboard["id"] is NSNull, "an exported dashboard carries no database id")
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let datasource = try #require(variables.first { $0["type"] as? String == "datasource" })
        #expect(datasource["query"] as? String == "prometheus")
        let datasourceName = try #require(datasource["name"] as? String)
        let reference = "${\(datasourceName)}"

        var ids = Set<Int>()
        var cells = Set<String>()
        for panel in Self.panels(dashboard) {
            let title = panel["title"] as? String ?? ""
            let id = try #require(panel["id"] as? Int, "\(title): no id")
            #expect(ids.insert(id).inserted, "panel id \(id) twice")
            let grid = try #require(panel["gridPos"] as? [String: Int], "\(title): no gridPos")
            let (x, y, w, h) = (grid["x"] ?? -1, grid["y"] ?? -1, grid["w"] ?? 0, grid["h"] ?? 0)
            #expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, "\(title): gridPos \(grid)")
            for column in max(x, 0)..<min(x + w, 24) {
                for row in max(y, 0)..<(y + h) {
                    #expect(cells.insert("\(column),\(row)").inserted, "\(title) overlaps another panel at \(column),\(row)")
                }
            }
            let type = panel["type"] as? String ?? ""
            #expect(["row", "stat", "timeseries", "state-timeline", "table"].contains(type), "\(title): panel type \(type)")
            if type == "row" { continue }
            #expect(!title.isEmpty)
            #expect((panel["datasource"] as? [String: String]) == ["type": "prometheus", "uid": reference], "\(title): datasource")
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "\(title): no query")
            for target in targets {
                #expect(!(target["expr"] as? String ?? "").isEmpty, "\(title): empty query")
                #expect((target["datasource"] as? [String: String]) == ["type": "prometheus", "uid": reference], "\(title): target datasource")
            }
        }
        #expect(ids.count >= 20)

        // What the issue asks the dashboard to show.
        let all = Self.queries(dashboard).map(\.expr).joined(separator: "\n")
        for quantile in ["0.5", "0.9", "0.99"] {
            #expect(all.contains("histogram_quantile(\(quantile), sum by (route, le) (rate(portcullis_request_duration_seconds_bucket"))
        }
        for needed in ["portcullis_gateway_overhead_seconds_bucket", "sum by (status_class)", "portcullis_rate_limit_refusals_total",
                       "portcullis_rate_limit_bans_total", "portcullis_upstream_endpoint_healthy", "portcullis_upstream_ejections_total",
                       "portcullis_upstream_duration_seconds_bucket", "portcullis_tls_handshakes_total", "portcullis_open_connections",
                       "portcullis_policy_reloads_total", "portcullis_policy_info", "portcullis_log_lines_total"] {
            #expect(all.contains(needed), "no panel shows \(needed)")
        }
    }

    @Test func everyQueryNamesDocumentedMetricsThatARealGatewayServesAndPromtoolParsesIt() async throws {
        let dashboard = try Self.dashboard()
        let documented = try Self.documentedMetrics()
        #expect(documented.count >= 20)

        // A gateway with every optional family on: TLS, a policy, an access log; and some traffic.
        let demo = try await Upstreams.demo()
        let certs = try TestPaths.temporaryDirectory()
        try DevCertificate.issue(into: certs.path, leaves: [(stem: "localhost", names: ["localhost", "127.0.0.1"])])
        let logs = try TestPaths.temporaryDirectory()
        let gateway = try await GatewayProcess.start("""
            access_log: { destination: \(logs.path)/access.log }
            upstreams:
              app: { endpoints: [127.0.0.1:\(demo.localPort)] }
            routes:
              - { name: app, path_prefix: /, upstream: app }
            """, tls: "tls: { certificates: [{ certificate: \(certs.path)/localhost.pem, key: \(certs.path)/localhost-key.pem }] }",
            plainListener: "redirect_to_https: false", policies: try ShippedPolicies.files())
        defer { gateway.stop() }
        for _ in 1...3 { #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/hello").status == 200) }
        let text = try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics").text
        let page = try PrometheusTextParser.parse(text)

        /// The labels the page's samples of this name carry, and Prometheus's own target labels.
        func labels(of names: [String]) -> Set<String> {
            var labels: Set<String> = ["instance", "job"]
            for name in names { for sample in page.samples(name) { labels.formUnion(sample.labels.keys) } }
            return labels
        }
        func check(_ name: String, at place: String) {
            let base = ["_bucket", "_count", "_sum"].first { name.hasSuffix($0) && documented[String(name.dropLast($0.count))] == "histogram" }
                .map { String(name.dropLast($0.count)) } ?? name
            #expect(documented[base] != nil, "\(place): \(name) is not in docs/metrics.md")
            #expect(!page.samples(name).isEmpty, "\(place): \(name) is not on a real gateway's /metrics page")
        }

        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        var count = 0
        for (place, expr) in Self.queries(dashboard) {
            let names = Self.matches(#"portcullis_[a-zA-Z0-9_:]*"#, in: expr).map { $0[0] }
            #expect(!names.isEmpty, "\(place): names no Portcullis metric")
            for name in names { check(name, at: place) }
            // Every label a selector matches or an aggregation keeps exists on the metrics queried.
            let known = labels(of: names)
            for selector in Self.matches(#"(portcullis_[a-zA-Z0-9_:]*)\{([^}]*)\}"#, in: expr) {
                let own = labels(of: [selector[1]])
                for matcher in Self.matches(#"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)"#, in: selector[2]) {
                    #expect(own.contains(matcher[1]), "\(place): \(selector[1]) has no label \(matcher[1])")
                }
            }
            for grouping in Self.matches(#"\b(?:by|without)\s*\(([^)]*)\)"#, in: expr) {
                for label in grouping[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !label.isEmpty {
                    #expect(known.contains(label), "\(place): no metric of the query has the label \(label)")
                }
            }
            count += 1
            let json = String(decoding: try JSONSerialization.data(withJSONObject: [Self.substituted(expr)], options: [.withoutEscapingSlashes]), as: UTF8.self)
            rules += "      - record: dashboard:query_\(count)\n        expr: \(json.dropFirst().dropLast())\n"
        }
        for (name, selector, label) in Self.variableQueries(dashboard) {
            let names = Self.matches(#"portcullis_[a-zA-Z0-9_:]*"#, in: selector).map { $0[0] }
            #expect(names.count == 1, "variable \(name): \(selector)")
            for metric in names {
                check(metric, at: "variable \(name)")
                #expect(labels(of: [metric]).contains(label), "variable \(name): \(metric) has no label \(label)")
            }
            count += 1
            let json = String(decoding: try JSONSerialization.data(withJSONObject: [Self.substituted(selector)], options: [.withoutEscapingSlashes]), as: UTF8.self)
            rules += "      - record: dashboard:variable_\(count)\n        expr: \(json.dropFirst().dropLast())\n"
        }

        let file = gateway.directory.appendingPathComponent("dashboard-rules.yaml")
        try rules.write(to: file, atomically: true, encoding: .utf8)
        let check = try Command.run("/usr/bin/promtool", ["check", "rules", file.path])
        #expect(check.status == 0, "promtool: \(check.standardOutput)\(check.standardError)")
        #expect(check.standardOutput.contains("SUCCESS: \(count) rules found"), "\(check.standardOutput)")
        try await demo.stop()
    }
}
