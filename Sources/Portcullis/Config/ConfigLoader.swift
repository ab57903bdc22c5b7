import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads `portcullis.yaml` into a `GatewayConfig`, reporting every problem with its position.
public enum ConfigLoader {
    public static func load(path: String, environment: [String: String]) throws(DiagnosticsError) -> GatewayConfig {
        guard let text = DiagnosticCollector.readTextFile(path) else {
            throw DiagnosticsError([Diagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the config file: \(String(cString: strerror(errno)))")])
        }
        return try parse(yaml: text, file: path, environment: environment)
    }

    public static func parse(yaml: String, file: String, environment: [String: String]) throws(DiagnosticsError) -> GatewayConfig {
        let collector = DiagnosticCollector(environment: environment)
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                throw DiagnosticsError([Diagnostic(location: SourceLocation(file: file, line: 1, column: 1), message: "the config file is empty; expected at least 'listeners', 'upstreams' and 'routes'")])
            }
            root = composed
        } catch let error as DiagnosticsError {
            throw error
        } catch {
            throw DiagnosticsError([YAMLSyntax.diagnostic(for: error, file: file, yaml: yaml)])
        }
        let reader = ConfigReader(root: YAMLValue(node: root, file: file, collector: collector, path: ""))
        let config = reader.read()
        if collector.hasErrors || config == nil {
            throw DiagnosticsError(collector.diagnostics.map { YAMLSyntax.insideText($0, yaml: yaml) })
        }
        return config!
    }
}

/// Walks the YAML tree of the operator config. Each section reports its own problems and carries on.
private final class ConfigReader {
    let root: YAMLValue
    /// `redirect_to_https` as written (nil inside: written but invalid), applied once all listeners are known.
    var listenerRedirects: [String: Bool?] = [:]

    init(root: YAMLValue) {
        self.root = root
    }

    func read() -> GatewayConfig? {
        guard let top = root.mapping(
            allowed: ["workers", "listeners", "admin", "trusted_proxies", "limits", "timeouts", "upstreams", "routes", "policies", "access_log", "audit_log", "scanner", "redis", "geo"],
            required: ["listeners", "upstreams", "routes"]
        ) else { return nil }

        var workers: Int?
        if let value = top["workers"], let text = value.string(), text != "auto" {
            if let count = Int(text), (1...1024).contains(count) {
                workers = count
            } else {
                value.report("workers must be 'auto' or a whole number from 1 to 1024; found '\(text)'")
            }
        }
        var listeners = top["listeners"].flatMap(readListeners) ?? []
        // Plain listeners redirect to HTTPS by default once some listener terminates TLS.
        let anyTLS = listeners.contains { $0.tls != nil }
        for index in listeners.indices where listeners[index].tls == nil {
            listeners[index].redirectToHTTPS = listenerRedirects[listeners[index].name].flatMap { $0 } ?? anyTLS
            if listeners[index].redirectToHTTPS, !anyTLS, let at = top["listeners"] {
                at.report("listener '\(listeners[index].name)' has redirect_to_https: true but no listener has TLS to redirect to")
            }
        }
        let admin = top["admin"].flatMap(readAdmin)
        let trusted = top["trusted_proxies"].flatMap(readNetworks) ?? []
        let limits = top["limits"].map(readLimits) ?? LimitsConfig()
        let timeouts = top["timeouts"].map(readTimeouts) ?? TimeoutsConfig()
        let upstreams = top["upstreams"].flatMap(readUpstreams) ?? []
        // Routes may name any group written in the file, even one with mistakes of its own (reported already).
        let upstreamNames = top["upstreams"]?.namedEntriesQuietly() ?? []
        let routes = top["routes"].flatMap { readRoutes($0, upstreamNames: upstreamNames) } ?? []
        let policies = top["policies"].flatMap(readPolicies)
        let accessLog = top["access_log"].flatMap(readAccessLog)
        let auditLog = top["audit_log"].flatMap(readAuditLog)
        let scanner = top["scanner"].flatMap(ScannerConfigReader.read)
        let redis = top["redis"].flatMap(RedisConfigReader.read)

        var config = GatewayConfig(
            workers: workers, listeners: listeners, admin: admin, trustedProxies: trusted,
            limits: limits, timeouts: timeouts, upstreams: upstreams, routes: routes, policies: policies,
            accessLog: accessLog, auditLog: auditLog, scanner: scanner, redis: redis
        )
        config.geo = top["geo"].flatMap(GeoConfigReader.read)
        return config
    }

    private func readAddress(_ value: YAMLValue) -> HostPort? {
        guard let text = value.string() else { return nil }
        guard let address = HostPort(text) else {
            value.report("\(value.path) must be host:port, like 127.0.0.1:8080 or [::1]:8080; found '\(text)'")
            return nil
        }
        return address
    }

    private func readListeners(_ value: YAMLValue) -> [ListenerConfig]? {
        guard let items = value.sequence() else { return nil }
        if items.isEmpty { value.report("listeners must name at least one listener") }
        var seenNames: Set<String> = []
        var seenAddresses: Set<HostPort> = []
        return items.compactMap { item in
            guard let fields = item.mapping(allowed: ["name", "address", "server_names", "tls", "http2", "redirect_to_https"], required: ["name", "address"]),
                let name = fields["name"]?.string(), let addressValue = fields["address"],
                let address = readAddress(addressValue)
            else { return nil }
            if !seenNames.insert(name).inserted { fields["name"]!.report("listener name '\(name)' is used twice; expected unique names") }
            if !seenAddresses.insert(address).inserted { addressValue.report("address \(address) is used by two listeners") }
            let serverNames = fields["server_names"]?.stringList() ?? []
            var listener = ListenerConfig(name: name, address: address, serverNames: serverNames.map { $0.lowercased() })
            listener.tls = fields["tls"].flatMap { readTLS($0, listener: name) }
            if let http2 = fields["http2"] { listener.http2 = readHTTP2(http2) }
            if let redirect = fields["redirect_to_https"] {
                if listener.tls != nil { redirect.report("listener '\(name)' has TLS: redirect_to_https is for plain listeners") }
                listenerRedirects[name] = redirect.bool()
            }
            return listener
        }
    }

    private func readTLS(_ value: YAMLValue, listener: String) -> TLSConfig? {
        guard let fields = value.mapping(allowed: ["certificates", "dev_certificate", "unknown_server_name", "handshake_timeout", "reload_interval"]) else { return nil }
        var tls = TLSConfig(certificates: [])
        if let items = fields["certificates"]?.sequence() {
            for item in items {
                guard let pair = item.mapping(allowed: ["certificate", "key"], required: ["certificate", "key"]),
                    let certificate = pair["certificate"]?.string(), let key = pair["key"]?.string()
                else { continue }
                tls.certificates.append(TLSConfig.CertificatePair(certificate: certificate, key: key))
            }
        }
        tls.devCertificate = fields["dev_certificate"]?.bool() ?? false
        if let policy = fields["unknown_server_name"], let text = policy.string() {
            if let parsed = TLSConfig.UnknownServerName(rawValue: text) {
                tls.unknownServerName = parsed
            } else {
                policy.report("\(policy.path) must be one of \(TLSConfig.UnknownServerName.allCases.map(\.rawValue).joined(separator: ", ")); found '\(text)'")
            }
        }
        if let v = fields["handshake_timeout"]?.durationNanoseconds() { tls.handshakeTimeout = v }
        if let v = fields["reload_interval"]?.durationNanoseconds(atLeast: 100_000_000) { tls.reloadInterval = v }
        if tls.devCertificate, tls.certificates.isEmpty {
            let files = DevCertificate.files(in: tls.devCertificateDirectory)
            tls.certificates = [TLSConfig.CertificatePair(certificate: files.certificateChain, key: files.privateKey)]
        }
        if tls.certificates.isEmpty {
            value.report("listener '\(listener)': tls needs at least one entry in certificates, or dev_certificate: true")
        }
        return tls
    }

    private func readHTTP2(_ value: YAMLValue) -> HTTP2Config {
        var http2 = HTTP2Config()
        guard let fields = value.mapping(allowed: ["enabled", "max_concurrent_streams", "max_header_list_size", "max_resets", "reset_window"]) else { return http2 }
        if let v = fields["enabled"]?.bool() { http2.enabled = v }
        if let v = fields["max_concurrent_streams"]?.int(in: 1...10_000) { http2.maxConcurrentStreams = v }
        if let v = fields["max_header_list_size"]?.byteSize(atLeast: 1024) { http2.maxHeaderListSize = v }
        if let v = fields["max_resets"]?.int(in: 1...1_000_000) { http2.maxResets = v }
        if let v = fields["reset_window"]?.durationNanoseconds() { http2.resetWindow = v }
        return http2
    }

    private func readAdmin(_ value: YAMLValue) -> AdminConfig? {
        guard let fields = value.mapping(allowed: ["address", "metrics_token", "metrics"], required: ["address"]),
            let address = fields["address"].flatMap(readAddress)
        else { return nil }
        var token: String?
        if let tokenValue = fields["metrics_token"], let text = tokenValue.string() {
            // A bearer token is a token68 (RFC 7235): anything else could never be sent.
            let allowed = text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~+/=".utf8.contains(byte)
            }
            if text.utf8.count < 16 || !allowed {
                tokenValue.report("admin.metrics_token must be at least 16 characters of letters, digits and -._~+/= (a bearer token); use ${NAME} or ${file:PATH} to keep it out of the file")
            } else {
                token = text
            }
        }
        let metrics = fields["metrics"].flatMap { $0.bool() } ?? true
        return AdminConfig(address: address, metricsToken: token, metrics: metrics)
    }

    private func readPolicies(_ value: YAMLValue) -> PolicyConfig? {
        guard let fields = value.mapping(allowed: ["directory", "reload_interval"], required: ["directory"]),
            let directory = fields["directory"]?.string()
        else { return nil }
        if directory.isEmpty {
            fields["directory"]?.report("policies.directory must name a directory of *.yaml policy files")
            return nil
        }
        var config = PolicyConfig(directory: directory)
        if let interval = fields["reload_interval"]?.durationNanoseconds(atLeast: 100_000_000) { config.reloadInterval = interval }
        return config
    }

    /// `stdout`, `stderr`, `off` or a file path; `(true, nil)` for off, `(false, nil)` when invalid.
    private func readDestination(_ value: YAMLValue) -> (valid: Bool, destination: LogDestination?) {
        guard let text = value.string() else { return (false, nil) }
        guard let parsed = LogDestination.parse(text) else {
            value.report("\(value.path) must be stdout, stderr, off or a file path; found an empty value")
            return (false, nil)
        }
        return (true, parsed)
    }

    /// Header names, one a list item (or a single name), each a valid field name.
    private func readHeaderNames(_ value: YAMLValue) -> [(name: String, at: YAMLValue)] {
        let items: [YAMLValue]
        if case .scalar = value.node { items = [value] } else { items = value.sequence() ?? [] }
        return items.compactMap { item in
            guard let name = item.string() else { return nil }
            if let problem = HeaderFieldSyntax.nameProblem(name) {
                item.report("\(item.path): \(problem)")
                return nil
            }
            return (name, item)
        }
    }

    private func readAccessLog(_ value: YAMLValue) -> AccessLogConfig? {
        guard let fields = value.mapping(allowed: ["destination", "sample_allowed", "log_headers", "redact_headers"], required: ["destination"]) else { return nil }
        let destination: (valid: Bool, destination: LogDestination?) = fields["destination"].map(readDestination) ?? (false, nil)
        var config = AccessLogConfig(destination: .stdout)
        if let sample = fields["sample_allowed"], let text = sample.string() {
            if let rate = Double(text), rate >= 0, rate <= 1 {
                config.sampleAllowed = rate
            } else {
                sample.report("\(sample.path) must be a number from 0.0 (log no allowed request) to 1.0 (log all); found '\(text)'")
            }
        }
        if let headers = fields["log_headers"] {
            var seen: Set<String> = []
            for (name, at) in readHeaderNames(headers) {
                let field = AccessLogFormat.fieldName(forHeader: name)
                if AccessLogFormat.fixedFields.contains(field) {
                    at.report("\(at.path): header '\(name)' would be written as '\(field)', a field every line has already; expected another header")
                } else if !seen.insert(field).inserted {
                    at.report("\(at.path): header '\(name)' is listed twice")
                } else {
                    config.logHeaders.append(name)
                }
            }
        }
        if let redact = fields["redact_headers"] {
            config.redactHeaders = readHeaderNames(redact).map(\.name)
        }
        guard let chosen = destination.destination else { return nil }
        config.destination = chosen
        return config
    }

    private func readAuditLog(_ value: YAMLValue) -> AuditLogConfig? {
        guard let fields = value.mapping(allowed: ["destination"], required: ["destination"]),
            let destination = fields["destination"], let chosen = readDestination(destination).destination
        else { return nil }
        return AuditLogConfig(destination: chosen)
    }

    private func readNetworks(_ value: YAMLValue) -> [IPNetwork]? {
        guard let items = value.sequence() else { return nil }
        return items.compactMap { item in
            guard let text = item.string() else { return nil }
            guard let network = IPNetwork(text) else {
                item.report("\(item.path) must be an address or CIDR block like 10.0.0.0/8 or 2001:db8::/32; found '\(text)'")
                return nil
            }
            return network
        }
    }

    private func readLimits(_ value: YAMLValue) -> LimitsConfig {
        var limits = LimitsConfig()
        guard let fields = value.mapping(allowed: ["max_header_bytes", "max_header_count", "max_uri_bytes", "max_body_bytes", "max_connections", "max_rate_limit_keys"]) else { return limits }
        if let v = fields["max_header_bytes"]?.byteSize(atLeast: 1024) { limits.maxHeaderBytes = v }
        if let v = fields["max_header_count"]?.int(in: 1...10_000) { limits.maxHeaderCount = v }
        if let v = fields["max_uri_bytes"]?.byteSize(atLeast: 64) { limits.maxURIBytes = v }
        if let v = fields["max_body_bytes"]?.byteSize(atLeast: 0) { limits.maxBodyBytes = v }
        if let v = fields["max_connections"]?.int(in: 1...10_000_000) { limits.maxConnections = v }
        if let v = fields["max_rate_limit_keys"]?.int(in: 64...100_000_000) { limits.maxRateLimitKeys = v }
        if limits.maxURIBytes > limits.maxHeaderBytes {
            let at = fields["max_uri_bytes"] ?? fields["max_header_bytes"] ?? value
            at.report("limits.max_uri_bytes (\(limits.maxURIBytes)) must not exceed limits.max_header_bytes (\(limits.maxHeaderBytes)): the request line is part of the head")
        }
        return limits
    }

    private func readTimeouts(_ value: YAMLValue) -> TimeoutsConfig {
        var timeouts = TimeoutsConfig()
        let keys: [(String, WritableKeyPath<TimeoutsConfig, Int64>)] = [
            ("header_read", \.headerRead), ("client_idle", \.clientIdle), ("upstream_connect", \.upstreamConnect),
            ("upstream_response", \.upstreamResponse), ("upstream_idle", \.upstreamIdle),
            ("tunnel_idle", \.tunnelIdle), ("drain", \.drain),
        ]
        guard let fields = value.mapping(allowed: keys.map(\.0)) else { return timeouts }
        for (key, path) in keys {
            if let nanos = fields[key]?.durationNanoseconds() { timeouts[keyPath: path] = nanos }
        }
        return timeouts
    }

    private func readUpstreams(_ value: YAMLValue) -> [UpstreamGroupConfig]? {
        guard let entries = value.namedEntries() else { return nil }
        if entries.isEmpty { value.report("upstreams must define at least one upstream group") }
        return entries.compactMap { name, entry in
            guard let fields = entry.mapping(allowed: ["endpoints", "balance", "keepalive", "health"], required: ["endpoints"]) else { return nil }
            guard let endpointValues = fields["endpoints"]?.sequence() else { return nil }
            if endpointValues.isEmpty { fields["endpoints"]!.report("upstream '\(name)' must list at least one endpoint") }
            let endpoints = endpointValues.compactMap { value -> HostPort? in
                guard let address = readAddress(value) else { return nil }
                if address.port == 0 { value.report("\(value.path) must name a port from 1 to 65535; found 0") }
                return address
            }
            var group = UpstreamGroupConfig(name: name, endpoints: endpoints)
            if let balance = fields["balance"], let text = balance.string() {
                if let strategy = BalanceStrategy(rawValue: text) {
                    group.balance = strategy
                } else {
                    balance.report("\(balance.path) must be one of \(BalanceStrategy.allCases.map(\.rawValue).joined(separator: ", ")); found '\(text)'")
                }
            }
            if let keepalive = fields["keepalive"]?.mapping(allowed: ["max_idle", "idle_timeout"]) {
                if let v = keepalive["max_idle"]?.int(in: 0...100_000) { group.maxIdlePerEndpoint = v }
                if let v = keepalive["idle_timeout"]?.durationNanoseconds() { group.idleTimeout = v }
            }
            if let health = fields["health"]?.mapping(allowed: ["max_failures", "ejection", "max_ejection"]) {
                if let v = health["max_failures"]?.int(in: 1...1000) { group.maxFailures = v }
                if let v = health["ejection"]?.durationNanoseconds() { group.ejectionBase = v }
                if let v = health["max_ejection"]?.durationNanoseconds() { group.ejectionMax = v }
                if group.ejectionMax < group.ejectionBase, let at = health["max_ejection"] ?? health["ejection"] {
                    at.report("upstream '\(name)': health.max_ejection (\(Units.formatDuration(group.ejectionMax))) must be at least health.ejection (\(Units.formatDuration(group.ejectionBase)))")
                }
            }
            return group
        }
    }

    private func readRoutes(_ value: YAMLValue, upstreamNames: [String]) -> [RouteConfig]? {
        guard let items = value.sequence() else { return nil }
        if items.isEmpty { value.report("routes must define at least one route") }
        var seen: Set<String> = []
        return items.compactMap { item in
            guard let fields = item.mapping(allowed: ["name", "hosts", "path_prefix", "upstream", "max_body_bytes", "websocket"], required: ["name", "upstream"]),
                let name = fields["name"]?.string(), let upstreamValue = fields["upstream"], let upstream = upstreamValue.string()
            else { return nil }
            if !seen.insert(name).inserted { fields["name"]!.report("route name '\(name)' is used twice; expected unique names") }
            if name == "none" { fields["name"]!.report("route name 'none' is reserved (metrics and logs use it for requests no route took); expected another name") }
            if !upstreamNames.contains(upstream) {
                var message = "route '\(name)' names upstream '\(upstream)', which is not defined"
                if let suggestion = Spelling.closest(to: upstream, among: upstreamNames) { message += "; did you mean '\(suggestion)'?" }
                upstreamValue.report(message)
            }
            var route = RouteConfig(name: name, upstream: upstream)
            route.hosts = fields["hosts"]?.stringList()?.map { $0.lowercased() } ?? []
            if let hostsValue = fields["hosts"] {
                for host in route.hosts where host.isEmpty || (host.contains(":") && !host.hasPrefix("[")) || host.contains("/") || (host.contains("*") && !(host.hasPrefix("*.") && host.dropFirst(2).allSatisfy { $0 != "*" })) {
                    hostsValue.report("route '\(name)': hosts entry '\(host)' must be a host name without port or path, or '*.domain'")
                }
            }
            if let prefixValue = fields["path_prefix"], let prefix = prefixValue.string() {
                if prefix.hasPrefix("/") { route.pathPrefix = prefix } else { prefixValue.report("\(prefixValue.path) must start with '/'; found '\(prefix)'") }
            }
            route.maxBodyBytes = fields["max_body_bytes"]?.byteSize(atLeast: 0)
            route.allowUpgrade = fields["websocket"]?.bool() ?? false
            return route
        }
    }
}
