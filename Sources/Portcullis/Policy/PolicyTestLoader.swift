import NIOHTTP1
import Yams

/// Reads policy test files (each a YAML list of cases), checking them against the policy they
/// test: every problem is reported as `file:line:column: case 'NAME': what is wrong; what is expected`.
public enum PolicyTestLoader {
    static let caseKeys = ["name", "request", "response", "expect"]
    static let requestKeys = ["method", "url", "headers", "client", "location", "repeat", "every"]
    static let responseKeys = ["status", "headers"]
    static let expectKeys = ["status", "headers", "absent", "rule", "shadow_rule", "cors_rule", "rate_limit", "geo"]

    public static func load(directory: String, policies: PolicySet, environment: [String: String] = [:]) throws(DiagnosticsError) -> [PolicyTestCase] {
        try parse(PolicyDirectory.sources(in: directory), policies: policies, environment: environment)
    }

    public static func parse(_ sources: [PolicySource], policies: PolicySet, environment: [String: String] = [:]) throws(DiagnosticsError) -> [PolicyTestCase] {
        let collector = DiagnosticCollector(environment: environment)
        var syntaxErrors: [Diagnostic] = []
        var cases: [PolicyTestCase] = []
        var seenNames: [String: SourceLocation] = [:]
        let ruleNames = ["global"] + policies.headers.rules.map(\.name)
        let corsRuleNames = policies.cors.rules.map(\.name) + ["none"]
        let rateLimitRuleNames = policies.rateLimits.rules.filter { !$0.isShadow }.map(\.name) + ["none"]
        let geoRuleNames = policies.geo.rules.filter { !$0.isShadow }.map(\.name) + ["none"]

        for source in sources {
            let root: Node
            do {
                guard let composed = try Yams.compose(yaml: source.text) else { continue }
                root = composed
            } catch {
                syntaxErrors.append(YAMLSyntax.diagnostic(for: error, file: source.file, yaml: source.text))
                continue
            }
            let top = YAMLValue(node: root, file: source.file, collector: collector, path: "cases")
            guard let items = top.sequence() else { continue }
            for item in items {
                let scoped = DiagnosticCollector(environment: environment)
                let value = YAMLValue(node: item.node, file: item.file, collector: scoped, path: item.path)
                var name: String?
                var testCase: PolicyTestCase?
                if let fields = value.mapping(allowed: caseKeys, required: caseKeys), let nameValue = fields["name"], let text = nameValue.string() {
                    if text.isEmpty {
                        nameValue.report("\(nameValue.path) must not be empty")
                    } else {
                        name = text
                        testCase = readCase(fields, name: text, at: value.location, ruleNames: ruleNames, corsRuleNames: corsRuleNames, rateLimitRuleNames: rateLimitRuleNames, geoRuleNames: geoRuleNames)
                    }
                }
                let prefix = name.map { "case '\($0)': " } ?? ""
                for diagnostic in scoped.diagnostics { collector.report(diagnostic.location, prefix + diagnostic.message) }
                guard let testCase else { continue }
                if let first = seenNames[testCase.name] {
                    collector.report(testCase.location, "case '\(testCase.name)': the name is already used by the case at \(first.file):\(first.line); expected unique case names")
                    continue
                }
                seenNames[testCase.name] = testCase.location
                if !scoped.hasErrors { cases.append(testCase) }
            }
        }
        let diagnostics = PolicyLoader.sorted(syntaxErrors + collector.diagnostics, fileOrder: sources.map(\.file))
        if !diagnostics.isEmpty { throw DiagnosticsError(diagnostics) }
        return cases
    }

    private static func readCase(_ fields: [String: YAMLValue], name: String, at location: SourceLocation, ruleNames: [String], corsRuleNames: [String], rateLimitRuleNames: [String], geoRuleNames: [String]) -> PolicyTestCase? {
        let request = fields["request"].flatMap(readRequest)
        let response = fields["response"].flatMap(readResponse)
        let expect = fields["expect"].flatMap { readExpectation($0, ruleNames: ruleNames, corsRuleNames: corsRuleNames, rateLimitRuleNames: rateLimitRuleNames, geoRuleNames: geoRuleNames) }
        guard let request, let response, let expect else { return nil }
        return PolicyTestCase(name: name, location: location, request: request, response: response, expect: expect)
    }

    private static func readRequest(_ value: YAMLValue) -> PolicyTestCase.Request? {
        guard let fields = value.mapping(allowed: requestKeys, required: ["url"]) else { return nil }
        var method = HTTPMethod.GET
        var ok = true
        if let methodValue = fields["method"], let text = methodValue.string() {
            if let parsed = PolicyMethods.method(named: text) {
                method = parsed
            } else {
                var message = "\(methodValue.path) names the unknown method '\(text)'"
                if let suggestion = Spelling.closest(to: text, among: PolicyMethods.known) { message += "; did you mean '\(suggestion)'?" }
                methodValue.report(message)
                ok = false
            }
        }
        guard let urlValue = fields["url"], let url = urlValue.string() else { return nil }
        guard let parts = splitURL(url) else {
            urlValue.report("\(urlValue.path) must be an absolute http:// or https:// URL, like https://localhost/api/items; found '\(url)'")
            return nil
        }
        let headers = fields["headers"].flatMap(readHeaderList) ?? []
        var client: IPAddress?
        if let clientValue = fields["client"], let text = clientValue.string() {
            client = IPAddress(text)
            if client == nil {
                clientValue.report("\(clientValue.path) must be an IPv4 or IPv6 address, like 203.0.113.7; found '\(text)'")
                ok = false
            }
        }
        var location: GeoLocation??
        if let locationValue = fields["location"], let text = locationValue.string() {
            let parsed = GeoPolicyTest.location(text)
            if let problem = parsed.problem { locationValue.report("\(locationValue.path): \(problem)"); ok = false } else { location = .some(parsed.location) }
        }
        var repeatCount = 1
        if let repeatValue = fields["repeat"] {
            if let count = repeatValue.int(in: 1...10_000) { repeatCount = count } else { ok = false }
        }
        var interval: Int64 = 0
        if let everyValue = fields["every"] {
            if let nanos = everyValue.durationNanoseconds(atLeast: 0) { interval = nanos } else { ok = false }
            if fields["repeat"] == nil { everyValue.report("\(everyValue.path) spaces repeated requests, but the request has no repeat; expected repeat: N beside it") }
        }
        guard ok else { return nil }
        return PolicyTestCase.Request(
            method: method, url: url, isTLS: parts.isTLS, host: parts.host, target: parts.target, headers: headers, client: client, location: location,
            repeatCount: repeatCount, interval: interval
        )
    }

    private static func readResponse(_ value: YAMLValue) -> PolicyTestCase.Response? {
        guard let fields = value.mapping(allowed: responseKeys) else { return nil }
        let status = fields["status"].map { $0.int(in: 100...599) } ?? 200
        let headers = fields["headers"].map(readHeaderList) ?? []
        guard let status, let headers else { return nil }
        return PolicyTestCase.Response(status: status, headers: headers)
    }

    private static func readExpectation(_ value: YAMLValue, ruleNames: [String], corsRuleNames: [String], rateLimitRuleNames: [String], geoRuleNames: [String]) -> PolicyTestCase.Expectation? {
        guard let fields = value.mapping(allowed: expectKeys) else { return nil }
        var expect = PolicyTestCase.Expectation()
        if fields.isEmpty {
            value.report("\(value.path) checks nothing; expected at least one of \(expectKeys.joined(separator: ", "))")
            return nil
        }
        if let headersValue = fields["headers"], let entries = headersValue.keyedEntries(expecting: "header names to the values expected") {
            for (name, keyValue, entryValue) in entries {
                if let problem = HeaderFieldSyntax.nameProblem(name) { keyValue.report("\(headersValue.path): \(problem)"); continue }
                guard let values = entryValue.stringList() else { continue }
                expect.headers.append((name, values))
            }
        }
        if let absentValue = fields["absent"], let names = absentValue.stringItems() {
            for (name, item) in names {
                if let problem = HeaderFieldSyntax.nameProblem(name) { item.report("\(absentValue.path): \(problem)"); continue }
                expect.absent.append(name)
            }
        }
        if let statusValue = fields["status"], let status = statusValue.int(in: 100...599) { expect.status = status }
        let ruleKeys: [(String, WritableKeyPath<PolicyTestCase.Expectation, String?>, [String])] = [
            ("rule", \.rule, ruleNames), ("shadow_rule", \.shadowRule, Array(ruleNames.dropFirst()) + ["none"]), ("cors_rule", \.corsRule, corsRuleNames),
            ("rate_limit", \.rateLimitRule, rateLimitRuleNames), ("geo", \.geoRule, geoRuleNames),
        ]
        for (key, path, allowed) in ruleKeys {
            guard let ruleValue = fields[key], let text = ruleValue.string() else { continue }
            if allowed.contains(text) {
                expect[keyPath: path] = text
            } else {
                var message = "\(ruleValue.path) names '\(text)', which is not a rule of the policy"
                if let suggestion = Spelling.closest(to: text, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; expected one of \(allowed.joined(separator: ", "))"
                }
                ruleValue.report(message)
            }
        }
        return expect
    }

    /// A mapping of header names to a value or a list of values (repeated fields, e.g. Set-Cookie).
    private static func readHeaderList(_ value: YAMLValue) -> [(name: String, value: String)]? {
        guard let entries = value.keyedEntries(expecting: "header names to values") else { return nil }
        var result: [(name: String, value: String)] = []
        for (name, keyValue, entryValue) in entries {
            if let problem = HeaderFieldSyntax.nameProblem(name) { keyValue.report("\(value.path): \(problem)"); continue }
            guard let values = entryValue.stringList() else { continue }
            for text in values {
                if let problem = HeaderFieldSyntax.valueProblem(text, header: name) {
                    entryValue.report("\(value.path): \(problem)")
                    continue
                }
                result.append((name, text))
            }
        }
        return result
    }

    /// `https://Host:8443/path?q` → (TLS, `host`, `/path?q`).
    static func splitURL(_ url: String) -> (isTLS: Bool, host: String, target: String)? {
        let isTLS: Bool
        let rest: Substring
        if url.lowercased().hasPrefix("https://") {
            isTLS = true
            rest = url.dropFirst(8)
        } else if url.lowercased().hasPrefix("http://") {
            isTLS = false
            rest = url.dropFirst(7)
        } else {
            return nil
        }
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<slash])
        guard RequestHygiene.isValidAuthority(authority, allowEmpty: false) else { return nil }
        var target = String(rest[slash...])
        if !target.hasPrefix("/") { target = "/" + target }
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        return (isTLS, RequestHygiene.hostWithoutPort(authority), target)
    }
}
