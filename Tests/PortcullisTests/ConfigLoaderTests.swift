import Foundation
import Testing
@testable import Portcullis

@Suite struct ConfigLoaderTests {
    /// The smallest valid config; tests splice mistakes into copies of it.
    static let minimal = """
        listeners:
          - name: http
            address: 127.0.0.1:8080
        upstreams:
          demo:
            endpoints: [127.0.0.1:3000]
        routes:
          - name: app
            upstream: demo
        """

    private func parse(_ yaml: String, environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> GatewayConfig? {
        do {
            return try ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: environment)
        } catch {
            Issue.record("expected the config to load, got:\n\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Every diagnostic as the operator sees it: `file:line:column: message`.
    private func problems(_ yaml: String, environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: environment)
            Issue.record("expected the config to be refused, it loaded", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    // MARK: Valid files

    @Test func defaultConfigFileLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("config/portcullis.yaml").path
        let config: GatewayConfig
        do {
            config = try ConfigLoader.load(path: path, environment: [:])
        } catch {
            Issue.record("config/portcullis.yaml must load:\n\(error)")
            return
        }
        #expect(config.workers == nil)
        #expect(config.listeners.count == 2)
        let https = try #require(config.listeners.first)
        #expect(https.name == "https")
        #expect(https.address == HostPort(host: "127.0.0.1", port: 8443))
        #expect(https.tls?.devCertificate == true)
        #expect(https.http2.enabled)
        let listener = try #require(config.listeners.last)
        #expect(listener.name == "http")
        #expect(listener.address == HostPort(host: "127.0.0.1", port: 8080))
        #expect(listener.redirectToHTTPS)
        #expect(listener.serverNames == ["localhost", "127.0.0.1", "[::1]"])
        #expect(config.admin?.address == HostPort(host: "127.0.0.1", port: 9090))
        // The demo trusts the local machine as a proxy (the README's X-Forwarded-For examples).
        #expect(config.trustedProxies.map(\.description) == ["127.0.0.1/32", "::1/128"])
        #expect(config.geo?.database == "geo/demo-city.mmdb")
        #expect(config.limits.maxHeaderBytes == 32 * 1024)
        #expect(config.limits.maxURIBytes == 8 * 1024)
        #expect(config.limits.maxBodyBytes == 64 * 1024 * 1024)
        #expect(config.limits.maxConnections == 10_000)
        #expect(config.timeouts.headerRead == 10_000_000_000)
        #expect(config.timeouts.tunnelIdle == 600_000_000_000)
        let upstream = try #require(config.upstreams.first)
        #expect(upstream.name == "demo")
        #expect(upstream.endpoints == [HostPort(host: "127.0.0.1", port: 3000)])
        #expect(upstream.balance == .roundRobin)
        #expect(upstream.maxFailures == 3)
        #expect(upstream.ejectionBase == 5_000_000_000)
        #expect(upstream.ejectionMax == 120_000_000_000)
        let route = try #require(config.routes.first)
        #expect(route.name == "app")
        #expect(route.pathPrefix == "/")
        #expect(route.upstream == "demo")
        #expect(route.allowUpgrade)
        #expect(config.accessLog?.destination == .stdout)
        #expect(config.accessLog?.sampleAllowed == 1)
        #expect(config.accessLog?.logHeaders == ["User-Agent", "Referer"])
        #expect(config.auditLog?.destination == .stderr)
    }

    @Test func missingFileIsReported() {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/portcullis.yaml", environment: [:])
            Issue.record("a missing file must not load")
        } catch {
            #expect(error.diagnostics.map(\.description) == ["/nonexistent/portcullis.yaml:1:1: cannot read the config file: No such file or directory"])
        }
    }

    @Test func minimalConfigGetsDefaults() throws {
        let config = try #require(parse(Self.minimal))
        #expect(config.workers == nil)
        #expect(config.admin == nil)
        #expect(config.limits.maxHeaderCount == 100)
        #expect(config.timeouts.drain == 20_000_000_000)
        #expect(config.routes.first?.pathPrefix == "/")
        #expect(config.accessLog == nil && config.auditLog == nil)
        #expect(config.routes.first?.allowUpgrade == false)
        #expect(config.routes.first?.maxBodyBytes == nil)
    }

    @Test func valuesAreReadWithTheirUnits() throws {
        let config = try #require(parse("""
            trusted_proxies: [10.0.0.0/8, "2001:db8::/32"]
            limits:
              max_header_bytes: 64KiB
              max_body_bytes: 10MB
            timeouts:
              upstream_connect: 1.5s
              tunnel_idle: 1h
            listeners:
              - name: http
                address: "[::1]:8080"
                server_names: Example.COM
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000, "[::1]:3001"]
                balance: least_outstanding
                keepalive: {max_idle: 8, idle_timeout: 250ms}
            routes:
              - name: api
                hosts: [API.example.com, "*.example.com"]
                path_prefix: /api
                upstream: demo
                max_body_bytes: 1MiB
                websocket: no
            """))
        #expect(config.trustedProxies.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
        #expect(config.limits.maxHeaderBytes == 65_536)
        #expect(config.limits.maxBodyBytes == 10_000_000)
        #expect(config.timeouts.upstreamConnect == 1_500_000_000)
        #expect(config.timeouts.tunnelIdle == 3_600_000_000_000)
        #expect(config.listeners.first?.address == HostPort(host: "::1", port: 8080))
        #expect(config.listeners.first?.serverNames == ["example.com"])
        #expect(config.upstreams.first?.endpoints == [HostPort(host: "127.0.0.1", port: 3000), HostPort(host: "::1", port: 3001)])
        #expect(config.upstreams.first?.balance == .leastOutstanding)
        #expect(config.upstreams.first?.maxIdlePerEndpoint == 8)
        #expect(config.upstreams.first?.idleTimeout == 250_000_000)
        #expect(config.routes.first?.hosts == ["api.example.com", "*.example.com"])
        #expect(config.routes.first?.pathPrefix == "/api")
        #expect(config.routes.first?.maxBodyBytes == 1_048_576)
        #expect(config.routes.first?.allowUpgrade == false)
    }

    // MARK: workers

    @Test func workersAutoIsNil() {
        #expect(parse("workers: auto\n" + Self.minimal)?.workers == nil)
    }

    @Test func workersNumberIsKept() {
        #expect(parse("workers: 3\n" + Self.minimal)?.workers == 3)
    }

    @Test(arguments: ["0", "lots", "2000", "-1"])
    func workersOutOfRangeIsReported(value: String) {
        #expect(problems("workers: \(value)\n" + Self.minimal) == ["test.yaml:1:10: workers must be 'auto' or a whole number from 1 to 1024; found '\(value)'"])
    }

    // MARK: Unknown keys

    @Test func unknownKeyGetsDidYouMeanAtItsPosition() {
        let yaml = """
            listeners:
              - name: http
                address: 127.0.0.1:8080
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000]
                balanse: round_robin
            routes:
              - name: app
                upstream: demo
            """
        #expect(problems(yaml) == ["test.yaml:7:5: unknown key 'balanse' in upstreams.demo; did you mean 'balance'?"])
    }

    @Test func unknownTopLevelKey() {
        #expect(problems(Self.minimal + "\ntimeout:\n  drain: 5s\n") == ["test.yaml:10:1: unknown key 'timeout' in the top level; did you mean 'timeouts'?"])
    }

    @Test func unknownKeyWithNothingCloseListsTheKeys() {
        #expect(problems("frobnicate: 1\n" + Self.minimal) == [
            "test.yaml:1:1: unknown key 'frobnicate' in the top level; expected one of workers, listeners, admin, trusted_proxies, limits, timeouts, upstreams, routes, policies, access_log, audit_log, scanner, redis, geo",
        ])
    }

    @Test func misspeltRequiredKeyAlsoReportsItMissing() {
        let yaml = """
            listeners:
              - name: http
                address: 127.0.0.1:8080
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000]
            routes:
              - name: app
                upstreem: demo
            """
        #expect(problems(yaml) == [
            "test.yaml:9:5: unknown key 'upstreem' in routes[0]; did you mean 'upstream'?",
            "test.yaml:8:5: routes[0] is missing required key 'upstream'",
        ])
    }

    // MARK: Wrong types

    @Test func listWhereAMappingIsExpected() {
        #expect(problems(Self.minimal + "\nlimits: [1, 2]\n") == [
            "test.yaml:10:9: limits must be a mapping with keys max_header_bytes, max_header_count, max_uri_bytes, max_body_bytes, max_connections, max_rate_limit_keys; found a list",
        ])
    }

    @Test func mappingWhereAListIsExpected() {
        let yaml = """
            listeners:
              name: http
              address: 127.0.0.1:8080
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000]
            routes:
              - name: app
                upstream: demo
            """
        #expect(problems(yaml) == ["test.yaml:2:3: listeners must be a list; found a mapping"])
    }

    @Test func scalarWhereAListIsExpected() {
        #expect(problems(Self.minimal + "\ntrusted_proxies: 10.0.0.0/8\n") == ["test.yaml:10:18: trusted_proxies must be a list; found '10.0.0.0/8'"])
    }

    @Test func wordWhereANumberIsExpected() {
        #expect(problems(Self.minimal + "\nlimits:\n  max_header_count: lots\n") == [
            "test.yaml:11:21: limits.max_header_count must be a whole number from 1 to 10000; found 'lots'",
        ])
    }

    /// A number is expected, so the message says so: telling the operator to write a string
    /// where the schema wants a whole number sends them the wrong way.
    @Test func listWhereANumberIsExpected() {
        #expect(problems(Self.minimal + "\nlimits:\n  max_header_count: [100]\n") == [
            "test.yaml:11:21: limits.max_header_count must be a whole number from 1 to 10000; found a list",
        ])
    }

    @Test func wordWhereABoolIsExpected() {
        #expect(problems(Self.minimal + "\n    websocket: maybe\n") == ["test.yaml:10:16: routes[0].websocket must be true or false; found 'maybe'"])
    }

    @Test func emptyValueWhereAMappingIsExpected() {
        #expect(problems(Self.minimal + "\nadmin:\n") == ["test.yaml:10:7: admin must be a mapping with keys address, metrics_token, metrics; found an empty value"])
    }

    @Test func metricsCanBeSwitchedOff() throws {
        let config = try ConfigLoader.parse(yaml: Self.minimal + "\nadmin: { address: 127.0.0.1:9090, metrics: false }\n", file: "test.yaml", environment: [:])
        #expect(config.admin?.metrics == false)
        #expect(problems(Self.minimal + "\nadmin: { address: 127.0.0.1:9090, metrics: maybe }\n") == ["test.yaml:10:44: admin.metrics must be true or false; found 'maybe'"])
    }

    // MARK: Values

    @Test(arguments: ["10", "ms", "-1s", "1x", "0s", "soon"])
    func badDurationIsReported(value: String) {
        #expect(problems(Self.minimal + "\ntimeouts:\n  header_read: \(value)\n") == [
            "test.yaml:11:16: timeouts.header_read must be a duration like 250ms, 10s, 5m or 1h (at least 1ms); found '\(value)'",
        ])
    }

    @Test func badDurationInsideAnUpstreamNamesItsPath() {
        let yaml = Self.minimal.replacingOccurrences(of: "endpoints: [127.0.0.1:3000]", with: "endpoints: [127.0.0.1:3000]\n    health: {ejection: 5 minutes}")
        #expect(problems(yaml) == [
            "test.yaml:7:24: upstreams.demo.health.ejection must be a duration like 250ms, 10s, 5m or 1h (at least 1ms); found '5 minutes'",
        ])
    }

    @Test(arguments: ["12 parsecs", "-1", "lots", "9223372036854775807GiB"])
    func badSizeIsReported(value: String) {
        #expect(problems(Self.minimal + "\nlimits:\n  max_body_bytes: \(value)\n") == [
            "test.yaml:11:19: limits.max_body_bytes must be a size like 512, 16KiB, 64MiB or 1GiB (at least 0 bytes); found '\(value)'",
        ])
    }

    @Test func sizeBelowTheMinimumIsReported() {
        #expect(problems(Self.minimal + "\nlimits:\n  max_header_bytes: 512\n") == [
            "test.yaml:11:21: limits.max_header_bytes must be a size like 512, 16KiB, 64MiB or 1GiB (at least 1024 bytes); found '512'",
        ])
    }

    @Test func uriLimitAboveHeaderLimitIsReported() {
        #expect(problems(Self.minimal + "\nlimits:\n  max_uri_bytes: 64KiB\n") == [
            "test.yaml:11:18: limits.max_uri_bytes (65536) must not exceed limits.max_header_bytes (32768): the request line is part of the head",
        ])
    }

    @Test func badAddressIsReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "address: 127.0.0.1:8080", with: "address: localhost")
        #expect(problems(yaml) == ["test.yaml:3:14: listeners[0].address must be host:port, like 127.0.0.1:8080 or [::1]:8080; found 'localhost'"])
    }

    @Test func badCIDRIsReported() {
        #expect(problems(Self.minimal + "\ntrusted_proxies: [10.0.0.0/8, 10.0.0.0/33]\n") == [
            "test.yaml:10:31: trusted_proxies[1] must be an address or CIDR block like 10.0.0.0/8 or 2001:db8::/32; found '10.0.0.0/33'",
        ])
    }

    @Test func unknownBalanceStrategyIsReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "endpoints: [127.0.0.1:3000]", with: "endpoints: [127.0.0.1:3000]\n    balance: random")
        #expect(problems(yaml) == ["test.yaml:7:14: upstreams.demo.balance must be one of round_robin, least_outstanding; found 'random'"])
    }

    @Test func pathPrefixMustStartWithSlash() {
        #expect(problems(Self.minimal + "\n    path_prefix: api\n") == ["test.yaml:10:18: routes[0].path_prefix must start with '/'; found 'api'"])
    }

    // MARK: Cross references and uniqueness

    @Test func routeNamingAnUndefinedUpstreamGetsDidYouMean() {
        let yaml = Self.minimal.replacingOccurrences(of: "upstream: demo", with: "upstream: dmeo")
        #expect(problems(yaml) == ["test.yaml:9:15: route 'app' names upstream 'dmeo', which is not defined; did you mean 'demo'?"])
    }

    @Test func routeNamingAnUndefinedUpstreamWithNothingClose() {
        let yaml = Self.minimal.replacingOccurrences(of: "upstream: demo", with: "upstream: payments")
        #expect(problems(yaml) == ["test.yaml:9:15: route 'app' names upstream 'payments', which is not defined"])
    }

    @Test func duplicateRouteNamesAreReportedAtTheSecond() {
        #expect(problems(Self.minimal + "\n  - name: app\n    upstream: demo\n") == ["test.yaml:10:11: route name 'app' is used twice; expected unique names"])
    }

    @Test func duplicateListenerNamesAreReportedAtTheSecond() {
        let yaml = Self.minimal.replacingOccurrences(of: "address: 127.0.0.1:8080", with: "address: 127.0.0.1:8080\n  - name: http\n    address: 127.0.0.1:8081")
        #expect(problems(yaml) == ["test.yaml:4:11: listener name 'http' is used twice; expected unique names"])
    }

    @Test func duplicateListenerAddressesAreReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "address: 127.0.0.1:8080", with: "address: 127.0.0.1:8080\n  - name: other\n    address: 127.0.0.1:8080")
        #expect(problems(yaml) == ["test.yaml:5:14: address 127.0.0.1:8080 is used by two listeners"])
    }

    @Test func threeMistakesAreAllReported() {
        let yaml = """
            workers: lots
            listeners:
              - name: http
                address: 127.0.0.1:8080
            timeouts:
              drain: forever
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000]
            routes:
              - name: app
                upstream: dmeo
            """
        let found = problems(yaml)
        #expect(found.count == 3)
        #expect(Set(found) == [
            "test.yaml:1:10: workers must be 'auto' or a whole number from 1 to 1024; found 'lots'",
            "test.yaml:6:10: timeouts.drain must be a duration like 250ms, 10s, 5m or 1h (at least 1ms); found 'forever'",
            "test.yaml:12:15: route 'app' names upstream 'dmeo', which is not defined; did you mean 'demo'?",
        ])
    }

    // MARK: Required keys and document shape

    @Test func missingRequiredTopLevelKeys() {
        #expect(problems("workers: 2\n") == [
            "test.yaml:1:1: the top level is missing required key 'listeners'",
            "test.yaml:1:1: the top level is missing required key 'upstreams'",
            "test.yaml:1:1: the top level is missing required key 'routes'",
        ])
    }

    @Test func missingRequiredNestedKey() {
        let yaml = Self.minimal.replacingOccurrences(of: "    endpoints: [127.0.0.1:3000]", with: "    balance: round_robin")
        #expect(problems(yaml).first == "test.yaml:6:5: upstreams.demo is missing required key 'endpoints'")
    }

    /// An upstream with a mistake of its own is still defined: a route naming it must not be told
    /// "which is not defined", or one mistake reads as two and the second sends the operator astray.
    @Test func routeToAnUpstreamWithAMistakeIsNotCalledUndefined() {
        let yaml = Self.minimal.replacingOccurrences(of: "    endpoints: [127.0.0.1:3000]", with: "    endpoints: 127.0.0.1:3000")
        #expect(problems(yaml) == ["test.yaml:6:16: upstreams.demo.endpoints must be a list; found '127.0.0.1:3000'"])
    }

    @Test func emptyListsAreReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "endpoints: [127.0.0.1:3000]", with: "endpoints: []")
        #expect(problems(yaml) == ["test.yaml:6:16: upstream 'demo' must list at least one endpoint"])
    }

    @Test(arguments: ["", "# only a comment\n"])
    func emptyFileIsReported(yaml: String) {
        #expect(problems(yaml) == ["test.yaml:1:1: the config file is empty; expected at least 'listeners', 'upstreams' and 'routes'"])
    }

    /// The top-level diagnostic must name what is wrong, as every other path does ("the top level").
    @Test func topLevelListIsReportedAsTheTopLevel() throws {
        let found = problems("- listeners\n- routes\n")
        #expect(found.count == 1)
        let message = try #require(found.first)
        #expect(message.hasPrefix("test.yaml:1:1: the top level must be a mapping with keys workers, listeners,"), "got: \(message)")
        #expect(message.hasSuffix("; found a list"))
    }

    @Test func yamlSyntaxErrorHasAPosition() throws {
        let found = problems("listeners:\n  - name: http\n    address: [127.0.0.1:8080\nupstreams: {}\n")
        #expect(found.count == 1)
        let message = try #require(found.first)
        #expect(message.contains(": YAML syntax error: "))
        #expect(!message.hasPrefix("test.yaml:1:1:"), "the error is not on line 1: \(message)")
        #expect(message == "test.yaml:4:10: YAML syntax error: did not find expected ',' or ']'")
    }

    /// Found by fuzzing: libyaml put an error at the end of a text without a final line break on
    /// the line after the last; the diagnostic now stays inside the file, at the end of its last line.
    @Test func syntaxErrorAtTheEndOfAFileWithoutAFinalNewlineIsOnItsLastLine() {
        #expect(problems("- { namOPENBLAS_CERTOYP1 70.AE2.0.") == ["test.yaml:1:35: YAML syntax error: did not find expected ',' or '}'"])
        #expect(problems("upstreams:\n  app: { endpoints: [127.0.0.1:3000]") == ["test.yaml:2:37: YAML syntax error: did not find expected ',' or '}'"])
    }

    /// `---` alone, without a line break: libyaml marks the empty document on line 2 (found by
    /// the config-loader fuzz target, 2026-11-23).
    @Test func anEmptyDocumentWithoutAFinalNewlineIsReportedOnItsLine() {
        let found = problems("---")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("test.yaml:1:4: the top level must be a mapping") == true)
    }

    @Test func tabIndentationIsASyntaxErrorAtTheTab() {
        #expect(problems("listeners:\n\t- name: http\n") == ["test.yaml:2:1: YAML syntax error: found character that cannot start any token"])
    }

    /// A key written twice in one mapping is reported at the second occurrence, like every
    /// other mistake, in one line.
    @Test func duplicateKeyIsReportedAtItsPosition() {
        let yaml = Self.minimal + "\ntimeouts:\n  drain: 5s\n  drain: 10s\n"
        #expect(problems(yaml) == ["test.yaml:12:3: duplicate key 'drain'; each key may appear once in a mapping"])
    }

    // MARK: ${NAME} and ${file:PATH}

    @Test func environmentVariablesAreSubstituted() throws {
        let yaml = Self.minimal
            .replacingOccurrences(of: "address: 127.0.0.1:8080", with: "address: ${LISTEN_HOST}:${LISTEN_PORT}")
            .replacingOccurrences(of: "name: app", with: "name: \"${ENV}-app\"")
        let config = try #require(parse(yaml, environment: ["LISTEN_HOST": "10.1.2.3", "LISTEN_PORT": "9000", "ENV": "prod"]))
        #expect(config.listeners.first?.address == HostPort(host: "10.1.2.3", port: 9000))
        #expect(config.routes.first?.name == "prod-app")
    }

    @Test func missingEnvironmentVariableIsReportedByName() {
        let yaml = Self.minimal.replacingOccurrences(of: "address: 127.0.0.1:8080", with: "address: ${LISTEN_HOST}:8080")
        #expect(problems(yaml, environment: ["OTHER": "x"]) == [
            "test.yaml:3:14: listeners[0].address names the environment variable 'LISTEN_HOST', which is not set",
        ])
    }

    @Test func unterminatedReferenceIsReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "address: 127.0.0.1:8080", with: "address: ${LISTEN_HOST:8080")
        #expect(problems(yaml, environment: ["LISTEN_HOST": "x"]) == [
            "test.yaml:3:14: listeners[0].address has an unterminated '${' reference; expected ${NAME} or ${file:PATH}",
        ])
    }

    @Test func fileReferenceReadsTheFileWithoutItsTrailingNewline() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-test-\(UUID().uuidString)").path
        try "from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let yaml = Self.minimal.replacingOccurrences(of: "name: app", with: "name: \"${file:\(path)}\"")
        let config = try #require(parse(yaml))
        #expect(config.routes.first?.name == "from-file")
    }

    @Test func fileReferenceKeepsInnerNewlines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-test-\(UUID().uuidString)").path
        try "line1\nline2\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let yaml = Self.minimal.replacingOccurrences(of: "name: app", with: "name: \"${file:\(path)}\"")
        #expect(parse(yaml)?.routes.first?.name == "line1\nline2\n")
    }

    @Test func environmentValuesAreNotExpandedAgain() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "name: app", with: "name: \"${OUTER}\"")
        let config = try #require(parse(yaml, environment: ["OUTER": "${INNER}", "INNER": "expanded"]))
        #expect(config.routes.first?.name == "${INNER}")
    }

    @Test func directoryAsConfigFileIsReported() {
        let directory = FileManager.default.temporaryDirectory.path
        do {
            _ = try ConfigLoader.load(path: directory, environment: [:])
            Issue.record("a directory must not load as a config file")
        } catch {
            #expect(error.diagnostics.count == 1)
            let message = error.diagnostics.first?.description ?? ""
            #expect(message.hasPrefix("\(directory):1:1: cannot read the config file"), "got: \(message)")
        }
    }

    /// A secret reference that points at a directory must not silently become an empty secret.
    @Test func fileReferenceToADirectoryIsReported() {
        let directory = FileManager.default.temporaryDirectory.path
        let yaml = Self.minimal.replacingOccurrences(of: "name: app", with: "name: \"${file:\(directory)}\"")
        #expect(problems(yaml) == ["test.yaml:8:11: routes[0].name names the file '\(directory)', which cannot be read"])
    }

    @Test func missingFileReferenceIsReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "name: app", with: "name: \"${file:/nonexistent/portcullis-test/secret}\"")
        #expect(problems(yaml) == ["test.yaml:8:11: routes[0].name names the file '/nonexistent/portcullis-test/secret', which cannot be read"])
    }

    // MARK: Logs

    @Test func accessAndAuditLogsAreRead() throws {
        let config = try #require(parse(Self.minimal + """

            access_log:
              destination: /var/log/portcullis/access.log
              sample_allowed: 0.25
              log_headers: [User-Agent, X-Session]
              redact_headers: X-Session
            audit_log: { destination: stderr }
            """))
        let access = try #require(config.accessLog)
        #expect(access.destination == .file("/var/log/portcullis/access.log"))
        #expect(access.sampleAllowed == 0.25)
        #expect(access.logHeaders == ["User-Agent", "X-Session"])
        #expect(access.redactHeaders == ["X-Session"])
        #expect(config.auditLog?.destination == .stderr)
    }

    @Test func offMeansNoLog() throws {
        let config = try #require(parse(Self.minimal + "\naccess_log: { destination: off }\naudit_log: { destination: 'off' }\n"))
        #expect(config.accessLog == nil && config.auditLog == nil)
    }

    @Test func logMistakesArePositioned() {
        #expect(problems(Self.minimal + """

            access_log:
              destination: ""
              sample_allowed: 10%
              log_headers: [Host, User-Agent, user-agent, "Bad Name"]
              redact: [X-Token]
            audit_log: {}
            """) == [
                "test.yaml:14:3: unknown key 'redact' in access_log; expected one of destination, sample_allowed, log_headers, redact_headers",
                "test.yaml:11:16: access_log.destination must be stdout, stderr, off or a file path; found an empty value",
                "test.yaml:12:19: access_log.sample_allowed must be a number from 0.0 (log no allowed request) to 1.0 (log all); found '10%'",
                "test.yaml:13:47: access_log.log_headers[3]: the header name 'Bad Name' has a space at character 4; expected letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110 token)",
                "test.yaml:13:17: access_log.log_headers[0]: header 'Host' would be written as 'host', a field every line has already; expected another header",
                "test.yaml:13:35: access_log.log_headers[2]: header 'user-agent' is listed twice",
                "test.yaml:15:12: audit_log is missing required key 'destination'",
            ])
    }
}

@Suite struct ConfigCrossCheckTests {
    private func problems(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: [:])
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func maxEjectionShorterThanEjectionIsReported() {
        let yaml = """
            listeners: [{ name: http, address: 127.0.0.1:8080 }]
            upstreams:
              demo:
                endpoints: [127.0.0.1:3000]
                health: { ejection: 10s, max_ejection: 5s }
            routes: [{ name: app, upstream: demo }]
            """
        #expect(problems(yaml) == ["test.yaml:5:44: upstream 'demo': health.max_ejection (5s) must be at least health.ejection (10s)"])
    }

    @Test func endpointPortZeroIsReported() {
        let yaml = """
            listeners: [{ name: http, address: 127.0.0.1:8080 }]
            upstreams:
              demo: { endpoints: [127.0.0.1:0] }
            routes: [{ name: app, upstream: demo }]
            """
        #expect(problems(yaml) == ["test.yaml:3:23: upstreams.demo.endpoints[0] must name a port from 1 to 65535; found 0"])
    }

    @Test func hostsWithAPortAreReported() {
        let yaml = """
            listeners: [{ name: http, address: 127.0.0.1:8080 }]
            upstreams:
              demo: { endpoints: [127.0.0.1:3000] }
            routes: [{ name: app, upstream: demo, hosts: [example.com:8080, "[::1]", "*.example.org"] }]
            """
        #expect(problems(yaml) == ["test.yaml:4:46: route 'app': hosts entry 'example.com:8080' must be a host name without port or path, or '*.domain'"])
    }

    @Test func uriLimitAboveHeaderLimitIsReportedEvenWhenOnlyTheHeaderLimitIsSet() {
        let yaml = """
            listeners: [{ name: http, address: 127.0.0.1:8080 }]
            limits: { max_header_bytes: 4KiB }
            upstreams:
              demo: { endpoints: [127.0.0.1:3000] }
            routes: [{ name: app, upstream: demo }]
            """
        #expect(problems(yaml) == ["test.yaml:2:29: limits.max_uri_bytes (8192) must not exceed limits.max_header_bytes (4096): the request line is part of the head"])
    }
}

@Suite struct TLSConfigLoaderTests {
    private func load(_ listeners: String) throws(DiagnosticsError) -> GatewayConfig {
        try ConfigLoader.parse(yaml: """
            listeners:
            \(listeners)
            upstreams:
              demo: { endpoints: [127.0.0.1:3000] }
            routes: [{ name: app, upstream: demo }]
            """, file: "test.yaml", environment: [:])
    }

    private func problems(_ listeners: String) -> [String] {
        do {
            _ = try load(listeners)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func tlsListenerWithCertificatesAndHTTP2Settings() throws {
        let config = try load("""
              - name: https
                address: 127.0.0.1:8443
                tls:
                  certificates:
                    - { certificate: a.pem, key: a-key.pem }
                    - { certificate: b.pem, key: b-key.pem }
                  unknown_server_name: refuse
                  handshake_timeout: 3s
                http2: { max_concurrent_streams: 10, max_resets: 5, reset_window: 1s }
            """)
        let tls = try #require(config.listeners[0].tls)
        #expect(tls.certificates == [.init(certificate: "a.pem", key: "a-key.pem"), .init(certificate: "b.pem", key: "b-key.pem")])
        #expect(tls.unknownServerName == .refuse)
        #expect(tls.handshakeTimeout == 3_000_000_000)
        #expect(config.listeners[0].http2.maxConcurrentStreams == 10)
        #expect(config.listeners[0].http2.maxResets == 5)
        #expect(config.listeners[0].http2.resetWindow == 1_000_000_000)
    }

    @Test func devCertificateStandsInForMissingCertificates() throws {
        let config = try load("""
              - { name: https, address: 127.0.0.1:8443, tls: { dev_certificate: true } }
            """)
        #expect(config.listeners[0].tls?.certificates == [.init(certificate: "certs/dev/localhost.pem", key: "certs/dev/localhost-key.pem")])
    }

    @Test func plainListenersRedirectOnlyWhenSomeListenerHasTLS() throws {
        let withTLS = try load("""
              - { name: https, address: 127.0.0.1:8443, tls: { dev_certificate: true } }
              - { name: http, address: 127.0.0.1:8080 }
              - { name: serving, address: 127.0.0.1:8081, redirect_to_https: false }
            """)
        #expect(withTLS.listeners.map(\.redirectToHTTPS) == [false, true, false])
        let plainOnly = try load("""
              - { name: http, address: 127.0.0.1:8080 }
            """)
        #expect(plainOnly.listeners[0].redirectToHTTPS == false)
    }

    @Test func tlsMistakesAreReportedWithPositions() {
        #expect(problems("""
              - { name: https, address: 127.0.0.1:8443, tls: { unknown_server_name: guess } }
              - { name: other, address: 127.0.0.1:8444, tls: { dev_certificate: true }, redirect_to_https: true }
            """) == [
            "test.yaml:2:73: listeners[0].tls.unknown_server_name must be one of default, refuse; found 'guess'",
            "test.yaml:2:50: listener 'https': tls needs at least one entry in certificates, or dev_certificate: true",
            "test.yaml:3:96: listener 'other' has TLS: redirect_to_https is for plain listeners",
        ])
    }
}
