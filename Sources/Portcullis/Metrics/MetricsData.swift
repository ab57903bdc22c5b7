/// Everything one event loop has counted, as plain values. Each loop writes its own copy without
/// synchronization; a scrape copies every loop's (on that loop) and adds them up.
struct MetricsData {
    /// Label-set sizes: routes (+1 for requests no route took), upstream groups, listeners.
    let routes: Int
    let upstreams: Int
    let listeners: Int

    /// Request duration as the client saw it, by route × method × status class.
    var requests: HistogramSet
    /// Total minus the upstream's part, by route.
    var overhead: HistogramSet
    /// Per upstream group: a new connection's connect time, time to the response head after the
    /// request was handed over, and the whole upstream exchange.
    var upstreamConnect: HistogramSet
    var upstreamFirstByte: HistogramSet
    var upstreamTotal: HistogramSet
    /// Body bytes from and to clients, by route.
    var bytesIn: [Int]
    var bytesOut: [Int]
    /// Per upstream group: requests sent again to another endpoint, and connection failures.
    var retries: [Int]
    var upstreamFailures: [Int]
    /// Per listener: connections accepted, and currently open by protocol (HTTP/1, HTTP/2).
    var connectionsAccepted: [Int]
    var openHTTP1: [Int]
    var openHTTP2: [Int]
    var http2Streams: [Int]
    /// Per listener × TLS outcome (`TLSOutcome`).
    var tlsHandshakes: [Int]
    /// Per upstream group: idle pooled connections (filled in when a scrape copies the data).
    var idleUpstreamConnections: [Int]
    /// Policy decisions by kind, rule and outcome (rule names come from the policy, so the set is
    /// bounded by the rules ever loaded).
    var decisions: [AccessLogDecision: Int] = [:]

    init(routes: Int, upstreams: Int, listeners: Int) {
        self.routes = routes
        self.upstreams = upstreams
        self.listeners = listeners
        requests = HistogramSet(seriesCount: (routes + 1) * MetricLabels.methods.count * MetricLabels.statusClasses.count)
        overhead = HistogramSet(seriesCount: routes + 1)
        upstreamConnect = HistogramSet(seriesCount: upstreams)
        upstreamFirstByte = HistogramSet(seriesCount: upstreams)
        upstreamTotal = HistogramSet(seriesCount: upstreams)
        bytesIn = Array(repeating: 0, count: routes + 1)
        bytesOut = Array(repeating: 0, count: routes + 1)
        retries = Array(repeating: 0, count: upstreams)
        upstreamFailures = Array(repeating: 0, count: upstreams)
        connectionsAccepted = Array(repeating: 0, count: listeners)
        openHTTP1 = Array(repeating: 0, count: listeners)
        openHTTP2 = Array(repeating: 0, count: listeners)
        http2Streams = Array(repeating: 0, count: listeners)
        tlsHandshakes = Array(repeating: 0, count: listeners * TLSOutcome.allCases.count)
        idleUpstreamConnections = Array(repeating: 0, count: upstreams)
    }

    /// The series of the request histogram for a route (`routes` for none), method and status class.
    @inline(__always)
    func requestSeries(route: Int, method: Int, statusClass: Int) -> Int {
        (route * MetricLabels.methods.count + method) * MetricLabels.statusClasses.count + statusClass
    }

    mutating func add(_ other: MetricsData) {
        decisions.merge(other.decisions, uniquingKeysWith: +)
        requests.add(other.requests)
        overhead.add(other.overhead)
        upstreamConnect.add(other.upstreamConnect)
        upstreamFirstByte.add(other.upstreamFirstByte)
        upstreamTotal.add(other.upstreamTotal)
        for (keyPath) in [\MetricsData.bytesIn, \.bytesOut, \.retries, \.upstreamFailures, \.connectionsAccepted, \.openHTTP1, \.openHTTP2, \.http2Streams, \.tlsHandshakes, \.idleUpstreamConnections] as [WritableKeyPath<MetricsData, [Int]>] {
            for index in self[keyPath: keyPath].indices { self[keyPath: keyPath][index] += other[keyPath: keyPath][index] }
        }
    }
}

/// How a TLS handshake ended.
enum TLSOutcome: Int, CaseIterable {
    case completed
    /// The client sent something that is not TLS (plain HTTP to the TLS port) or a malformed hello.
    case failed
    /// The client closed the connection before the handshake completed.
    case closed
    /// The handshake did not complete within `handshake_timeout`.
    case timedOut

    var label: String {
        switch self {
        case .completed: return "completed"
        case .failed: return "failed"
        case .closed: return "closed"
        case .timedOut: return "timeout"
        }
    }
}
