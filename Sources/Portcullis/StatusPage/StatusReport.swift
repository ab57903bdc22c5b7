import Foundation
import NIOCore

/// The figures of `/status.json`, which the status page polls: the same data as `/metrics` (the
/// loops' counters added up, and the shared state), shaped for a script rather than for
/// Prometheus. Counters are totals since start (rate-limit rules: since the rule was loaded); the
/// page turns two consecutive reports into rates and percentiles, so the gateway keeps no
/// per-viewer state. Every name comes from the config or the policy, never from a request.
struct StatusReport: Encodable {
    var version: String
    /// Seconds since the gateway started, on the monotonic clock: the page divides counter
    /// differences by differences of this, never by the browser's clock.
    var uptimeSeconds: Double
    /// Upper bounds of the latency buckets, in seconds; each `buckets` array has one more
    /// entry, the +Inf bucket.
    var bucketsSeconds: [Double]
    var statusClasses: [String]
    var routes: [RouteFigures]
    var listeners: [ListenerFigures]
    var upstreams: [UpstreamFigures]
    var rateLimitStore: StoreFigures
    /// Absent when the config names no policy directory.
    var policy: PolicyFigures?
    /// The logs that are on.
    var logs: [LogFigures]

    struct RouteFigures: Encodable {
        /// `none` for requests refused before a route was chosen.
        var name: String
        var upstream: String?
        var pathPrefix: String?
        var hosts: [String]
        var requests: Int
        /// Requests by status class (`1xx` … `5xx`).
        var statusClasses: [String: Int]
        /// Requests by latency bucket, not cumulative (all methods and status classes).
        var buckets: [Int]
        var durationSecondsSum: Double
        var bytesIn: Int
        var bytesOut: Int
    }

    struct ListenerFigures: Encodable {
        var name: String
        var tls: Bool
        var accepted: Int
        var openHttp1: Int
        var openHttp2: Int
        var http2Streams: Int
        /// By outcome (`completed`, `failed`, `closed`, `timeout`); absent on a plain listener.
        var tlsHandshakes: [String: Int]?
    }

    struct UpstreamFigures: Encodable {
        var name: String
        var retries: Int
        var failures: Int
        var idleConnections: Int
        var endpoints: [EndpointFigures]
    }

    struct EndpointFigures: Encodable {
        var name: String
        var healthy: Bool
        var ejections: Int
    }

    struct StoreFigures: Encodable {
        var trackedKeys: Int
        var capacity: Int
        var evictions: Int
    }

    struct PolicyFigures: Encodable {
        var digest: String
        /// File names, in the order rules were taken from them.
        var files: [String]
        var reloadsOk: Int
        var reloadsFailed: Int
        /// The problems of the last refused reload, while the previous policy stays in force.
        var lastProblems: [String]?
        var rules: [RuleFigures]
    }

    struct RuleFigures: Encodable {
        /// `headers`, `cors`, `rate_limit` or `geo`.
        var kind: String
        var name: String
        var mode: String
        /// The rule's `match`, written the way a policy file would.
        var match: String
        /// `file:line` where the rule is defined.
        var location: String
        /// Rate-limit rules: requests refused (shadow: would have refused) and bans begun.
        var refusals: Int?
        var bans: Int?
        /// Rate-limit rules: the `RateLimit-Policy` value, e.g. `"login";q=5;w=60`; geo rules: the locations (`GB, US-TX`).
        var limits: String?
    }

    /// The policy in force and its reload counts, as `/metrics` has them.
    struct PolicyState {
        var set: PolicySet
        var succeeded: Int
        var failed: Int
        var lastProblems: [Diagnostic]?
    }

    init(runtime: GatewayRuntime, data: MetricsData, policy: PolicyState?, logs: [(name: String, writer: LogWriter)], uptimeNanoseconds: UInt64, now: UInt64 = NIODeadline.now().uptimeNanoseconds) {
        version = PortcullisVersion.string
        uptimeSeconds = Double(uptimeNanoseconds) / 1e9
        bucketsSeconds = LatencyBuckets.bounds.map { Double($0) / 1e9 }
        statusClasses = MetricLabels.statusClasses

        let routeTable = runtime.routes.routes
        routes = (0...data.routes).map { index in
            var buckets = Array(repeating: 0, count: LatencyBuckets.count)
            var classes = Array(repeating: 0, count: MetricLabels.statusClasses.count)
            var sum: Int64 = 0
            for method in MetricLabels.methods.indices {
                for statusClass in MetricLabels.statusClasses.indices {
                    let series = data.requestSeries(route: index, method: method, statusClass: statusClass)
                    for bucket in 0..<LatencyBuckets.count {
                        let count = data.requests.bucket(series: series, index: bucket)
                        buckets[bucket] += count
                        classes[statusClass] += count
                    }
                    sum &+= data.requests.sum(series: series)
                }
            }
            let route = index < routeTable.count ? routeTable[index] : nil
            return RouteFigures(
                name: route?.name ?? "none", upstream: route?.upstream.name, pathPrefix: route?.pathPrefix, hosts: route?.hosts ?? [],
                requests: classes.reduce(0, +),
                statusClasses: Dictionary(uniqueKeysWithValues: zip(MetricLabels.statusClasses, classes)),
                buckets: buckets, durationSecondsSum: Double(sum) / 1e9,
                bytesIn: data.bytesIn[index], bytesOut: data.bytesOut[index]
            )
        }

        listeners = runtime.config.listeners.enumerated().map { index, config in
            let outcomes = TLSOutcome.allCases.count
            return ListenerFigures(
                name: config.name, tls: config.tls != nil, accepted: data.connectionsAccepted[index],
                openHttp1: data.openHTTP1[index], openHttp2: data.openHTTP2[index], http2Streams: data.http2Streams[index],
                tlsHandshakes: config.tls == nil ? nil : Dictionary(uniqueKeysWithValues: TLSOutcome.allCases.map { ($0.label, data.tlsHandshakes[index * outcomes + $0.rawValue]) })
            )
        }

        upstreams = runtime.upstreamGroups.enumerated().map { index, group in
            UpstreamFigures(
                name: group.name, retries: data.retries[index], failures: data.upstreamFailures[index], idleConnections: data.idleUpstreamConnections[index],
                endpoints: group.endpoints.map { EndpointFigures(name: $0.name, healthy: $0.isAvailable(now: now), ejections: $0.ejections) }
            )
        }

        let store = runtime.rateLimitStore
        rateLimitStore = StoreFigures(trackedKeys: store.trackedKeys, capacity: store.capacity, evictions: store.evictions)

        self.policy = policy.map { policy in
            let set = policy.set
            func location(_ common: PolicyRuleCommon) -> String {
                "\((common.location.file as NSString).lastPathComponent):\(common.location.line)"
            }
            var rules: [RuleFigures] = []
            for rule in set.headers.rules {
                rules.append(RuleFigures(kind: "headers", name: rule.name, mode: rule.mode.rawValue, match: rule.match.description, location: location(rule.common)))
            }
            for rule in set.cors.rules {
                rules.append(RuleFigures(kind: "cors", name: rule.name, mode: rule.common.mode.rawValue, match: rule.match.description, location: location(rule.common)))
            }
            for rule in set.rateLimits.rules {
                rules.append(RuleFigures(
                    kind: "rate_limit", name: rule.name, mode: rule.mode.rawValue, match: rule.match.description, location: location(rule.common),
                    refusals: rule.limitedCount.load(ordering: .relaxed), bans: rule.banCount.load(ordering: .relaxed), limits: rule.policyHeader
                ))
            }
            for rule in set.uploads.rules {
                rules.append(RuleFigures(kind: "upload", name: rule.name, mode: rule.common.mode.rawValue, match: rule.match.description, location: location(rule.common)))
            }
            for rule in set.geo.rules {
                rules.append(RuleFigures(kind: "geo", name: rule.name, mode: rule.mode.rawValue, match: rule.match.description, location: location(rule.common), limits: rule.locationsDescription))
            }
            return PolicyFigures(
                digest: set.digest, files: set.files.map { ($0 as NSString).lastPathComponent },
                reloadsOk: policy.succeeded, reloadsFailed: policy.failed,
                lastProblems: policy.lastProblems?.map(\.description), rules: rules
            )
        }

        self.logs = logs.map { name, writer in
            LogFigures(name: name, written: writer.writtenLines, dropped: writer.droppedLines + writer.droppedPriorityLines, writeErrors: writer.writeErrors)
        }
    }

    struct LogFigures: Encodable {
        var name: String
        var written: Int
        var dropped: Int
        var writeErrors: Int
    }

    /// The JSON text, keys in snake case and sorted (stable for tests and diffs).
    func json() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
