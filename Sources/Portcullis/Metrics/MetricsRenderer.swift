import NIOCore

/// Renders the `/metrics` page: the loops' request data added up, and what the shared state
/// knows (upstream health, the rate-limit store, the policy). Every label value is a name from
/// the config or the policy, never something a client sent.
struct MetricsRenderer {
    let runtime: GatewayRuntime
    /// The policy in force and its reload counts; nil without a policy directory.
    var policy: (set: PolicySet, succeeded: Int, failed: Int)?
    /// The log writers that are on, by log name (`access`, `audit`).
    var logs: [(name: String, writer: LogWriter)] = []
    /// The upload scanner, when the gateway runs one.
    var uploadScanner: UploadScanner?

    func render(_ data: MetricsData) -> String {
        var out = PrometheusTextWriter()
        let routeNames = runtime.routes.routes.map(\.name) + ["none"]
        let upstreamNames = runtime.upstreamGroups.map(\.name)
        let listenerNames = runtime.config.listeners.map(\.name)

        out.family("portcullis_build_info", type: "gauge", help: "The running version (always 1).")
        out.sample("portcullis_build_info", [("version", PortcullisVersion.string)], 1)

        out.family("portcullis_request_duration_seconds", type: "histogram", help: "Requests from the head's arrival to the response's end, as the client saw them, by route (none: refused before routing), method and status class.")
        for route in routeNames.indices {
            for method in MetricLabels.methods.indices {
                for statusClass in MetricLabels.statusClasses.indices {
                    let series = data.requestSeries(route: route, method: method, statusClass: statusClass)
                    guard data.requests.total(series: series) > 0 else { continue }
                    out.histogram("portcullis_request_duration_seconds", [("route", routeNames[route]), ("method", MetricLabels.methods[method]), ("status_class", MetricLabels.statusClasses[statusClass])], data.requests, series: series)
                }
            }
        }
        out.family("portcullis_gateway_overhead_seconds", type: "histogram", help: "The gateway's own part of each request: its duration minus the upstream exchange, by route.")
        for route in routeNames.indices where data.overhead.total(series: route) > 0 || route < routeNames.count - 1 {
            out.histogram("portcullis_gateway_overhead_seconds", [("route", routeNames[route])], data.overhead, series: route)
        }
        for (name, help, set) in [
            ("portcullis_upstream_connect_seconds", "Time to open a new connection to an endpoint, by upstream group.", data.upstreamConnect),
            ("portcullis_upstream_first_byte_seconds", "From the request handed to the upstream to its response head, by upstream group.", data.upstreamFirstByte),
            ("portcullis_upstream_duration_seconds", "From the request handed to the upstream to the end of its response, by upstream group.", data.upstreamTotal),
        ] {
            out.family(name, type: "histogram", help: help)
            for group in upstreamNames.indices { out.histogram(name, [("upstream", upstreamNames[group])], set, series: group) }
        }

        out.family("portcullis_request_body_bytes_total", type: "counter", help: "Request body bytes received from clients, by route.")
        for route in routeNames.indices { out.sample("portcullis_request_body_bytes_total", [("route", routeNames[route])], data.bytesIn[route]) }
        out.family("portcullis_response_body_bytes_total", type: "counter", help: "Response body bytes sent to clients, by route.")
        for route in routeNames.indices { out.sample("portcullis_response_body_bytes_total", [("route", routeNames[route])], data.bytesOut[route]) }

        out.family("portcullis_connections_accepted_total", type: "counter", help: "Client connections accepted, by listener.")
        for listener in listenerNames.indices { out.sample("portcullis_connections_accepted_total", [("listener", listenerNames[listener])], data.connectionsAccepted[listener]) }
        out.family("portcullis_open_connections", type: "gauge", help: "Client connections open now, by listener and protocol (a TLS connection counts once its protocol is negotiated).")
        for listener in listenerNames.indices {
            out.sample("portcullis_open_connections", [("listener", listenerNames[listener]), ("protocol", "http1")], data.openHTTP1[listener])
            out.sample("portcullis_open_connections", [("listener", listenerNames[listener]), ("protocol", "http2")], data.openHTTP2[listener])
        }
        out.family("portcullis_http2_streams_total", type: "counter", help: "HTTP/2 streams opened by clients, by listener.")
        for listener in listenerNames.indices { out.sample("portcullis_http2_streams_total", [("listener", listenerNames[listener])], data.http2Streams[listener]) }
        out.family("portcullis_tls_handshakes_total", type: "counter", help: "TLS handshakes by listener and outcome: completed, failed (not TLS, a malformed or refused hello), closed (the client left), timeout.")
        for (listener, config) in runtime.config.listeners.enumerated() where config.tls != nil {
            for outcome in TLSOutcome.allCases {
                out.sample("portcullis_tls_handshakes_total", [("listener", listenerNames[listener]), ("outcome", outcome.label)], data.tlsHandshakes[listener * TLSOutcome.allCases.count + outcome.rawValue])
            }
        }

        out.family("portcullis_upstream_retries_total", type: "counter", help: "Requests sent again to another endpoint after a failure, by upstream group.")
        for group in upstreamNames.indices { out.sample("portcullis_upstream_retries_total", [("upstream", upstreamNames[group])], data.retries[group]) }
        out.family("portcullis_upstream_failures_total", type: "counter", help: "Failed upstream exchanges (refused, reset, timed out), by upstream group.")
        for group in upstreamNames.indices { out.sample("portcullis_upstream_failures_total", [("upstream", upstreamNames[group])], data.upstreamFailures[group]) }
        out.family("portcullis_upstream_idle_connections", type: "gauge", help: "Idle keep-alive connections pooled, by upstream group (all event loops).")
        for group in upstreamNames.indices { out.sample("portcullis_upstream_idle_connections", [("upstream", upstreamNames[group])], data.idleUpstreamConnections[group]) }
        let now = NIODeadline.now().uptimeNanoseconds
        out.family("portcullis_upstream_endpoint_healthy", type: "gauge", help: "1 when the endpoint takes requests, 0 while it is ejected after failures.")
        for group in runtime.upstreamGroups {
            for endpoint in group.endpoints {
                out.sample("portcullis_upstream_endpoint_healthy", [("upstream", group.name), ("endpoint", endpoint.name)], endpoint.isAvailable(now: now) ? 1 : 0)
            }
        }
        out.family("portcullis_upstream_ejections_total", type: "counter", help: "Times an endpoint was ejected after consecutive failures.")
        for group in runtime.upstreamGroups {
            for endpoint in group.endpoints {
                out.sample("portcullis_upstream_ejections_total", [("upstream", group.name), ("endpoint", endpoint.name)], endpoint.ejections)
            }
        }

        out.family("portcullis_policy_decisions_total", type: "counter", help: "Decisions of policy rules about requests, by kind (headers, cors, rate_limit, upload), rule and outcome (applied, granted, preflight, refused, allowed, limited, banned, shadow, clean, infected, type_refused, too_large, scanner_error).")
        let decisions = data.decisions.sorted { ($0.key.kind.rawValue, $0.key.rule, $0.key.outcome.rawValue) < ($1.key.kind.rawValue, $1.key.rule, $1.key.outcome.rawValue) }
        for (decision, count) in decisions {
            out.sample("portcullis_policy_decisions_total", [("kind", decision.kind.rawValue), ("rule", decision.rule), ("outcome", decision.outcome.rawValue)], count)
        }

        let store = runtime.rateLimitStore
        out.family("portcullis_rate_limit_tracked_keys", type: "gauge", help: "Client keys the in-process rate-limit store holds.")
        out.sample("portcullis_rate_limit_tracked_keys", [], store.trackedKeys)
        out.family("portcullis_rate_limit_key_capacity", type: "gauge", help: "The most keys the store holds (limits.max_rate_limit_keys).")
        out.sample("portcullis_rate_limit_key_capacity", [], store.capacity)
        out.family("portcullis_rate_limit_evictions_total", type: "counter", help: "Live keys forgotten to make room for new ones (an attacker rotating keys shows here).")
        out.sample("portcullis_rate_limit_evictions_total", [], store.evictions)

        if let redis = runtime.redis { renderRedis(redis, into: &out) }
        GeoMetrics.render(into: &out, store: runtime.geoStore)

        if let policy {
            out.family("portcullis_rate_limit_refusals_total", type: "counter", help: "Requests a rate-limit rule refused (mode shadow: would have refused), by rule, since the rule was loaded.")
            for rule in policy.set.rateLimits.rules {
                out.sample("portcullis_rate_limit_refusals_total", [("rule", rule.name), ("mode", rule.mode.rawValue)], rule.limitedCount.load(ordering: .relaxed))
            }
            out.family("portcullis_rate_limit_bans_total", type: "counter", help: "Bans a rate-limit rule began, by rule, since the rule was loaded.")
            for rule in policy.set.rateLimits.rules {
                out.sample("portcullis_rate_limit_bans_total", [("rule", rule.name), ("mode", rule.mode.rawValue)], rule.banCount.load(ordering: .relaxed))
            }
            if let redis = runtime.redis {
                out.family("portcullis_rate_limit_store_fallbacks_total", type: "counter", help: "Requests whose shared-store (Redis) decision failed and were decided by the rule's on_store_error instead, by rule and reason (error, timeout, circuit_open), since the rule was loaded.")
                for rule in policy.set.rateLimits.rules where redis.serves(rule) {
                    for reason in RedisError.Reason.allCases {
                        out.sample("portcullis_rate_limit_store_fallbacks_total", [("rule", rule.name), ("reason", reason.rawValue)], rule.storeFallbacks.count(reason))
                    }
                }
            }
            out.family("portcullis_policy_reloads_total", type: "counter", help: "Policy reloads by result: ok (published) or failed (refused, the previous policy kept).")
            out.sample("portcullis_policy_reloads_total", [("result", "ok")], policy.succeeded)
            out.sample("portcullis_policy_reloads_total", [("result", "failed")], policy.failed)
            out.family("portcullis_policy_info", type: "gauge", help: "The policy in force (always 1): its digest and rule count.")
            out.sample("portcullis_policy_info", [("digest", policy.set.digest), ("rules", String(policy.set.ruleNames.count))], 1)
        }
        if let uploadScanner { UploadScanMetrics.render(uploadScanner, to: &out) }
        if !logs.isEmpty {
            out.family("portcullis_log_lines_total", type: "counter", help: "Log lines by log and result: written, or dropped because the destination fell too far behind (the event loops never wait for it).")
            for (name, writer) in logs {
                out.sample("portcullis_log_lines_total", [("log", name), ("result", "written")], writer.writtenLines)
                out.sample("portcullis_log_lines_total", [("log", name), ("result", "dropped")], writer.droppedLines + writer.droppedPriorityLines)
            }
            out.family("portcullis_log_write_errors_total", type: "counter", help: "Failed writes to a log's destination, by log.")
            for (name, writer) in logs { out.sample("portcullis_log_write_errors_total", [("log", name)], writer.writeErrors) }
        }
        return out.text
    }
}

extension MetricsRenderer {
    /// The shared rate-limit store's client: its requests by outcome and its circuit breaker.
    func renderRedis(_ redis: RedisRateLimitStore, into out: inout PrometheusTextWriter) {
        out.family("portcullis_redis_requests_total", type: "counter", help: "Rate-limit decisions sent to Redis, by outcome: ok, error (refused, lost, error reply), timeout (over redis.timeout), circuit_open (not sent).")
        for (index, outcome) in RedisClient.outcomes.enumerated() {
            out.sample("portcullis_redis_requests_total", [("outcome", outcome)], redis.client.count(outcome: index))
        }
        out.family("portcullis_redis_redirections_total", type: "counter", help: "Redis Cluster redirections followed, by kind: moved (the slot map is refreshed) or ask (a slot being migrated).")
        out.sample("portcullis_redis_redirections_total", [("kind", "moved")], redis.client.redirections.moved.load(ordering: .relaxed))
        out.sample("portcullis_redis_redirections_total", [("kind", "ask")], redis.client.redirections.ask.load(ordering: .relaxed))
        out.family("portcullis_redis_circuit_open", type: "gauge", help: "1 while the circuit breaker keeps requests from Redis (rules fall back), 0 otherwise.")
        out.sample("portcullis_redis_circuit_open", [], redis.client.isCircuitOpen ? 1 : 0)
    }
}
