import NIOHTTP1

/// One event loop's counters and histograms. Only that loop touches it (it lives in the loop's
/// `LoopResources`), so the request path records with plain arithmetic: no lock, no atomic,
/// no allocation.
final class LoopMetrics {
    var data: MetricsData

    init(routes: Int, upstreams: Int, listeners: Int) {
        data = MetricsData(routes: routes, upstreams: upstreams, listeners: listeners)
    }

    /// One request answered, from its head to the end of its response.
    /// - Parameters:
    ///   - route: the route's index, nil when none was chosen (refused before routing).
    ///   - upstreamNanoseconds: the upstream's part, when the request was forwarded.
    @inline(__always)
    func recordRequest(route: Int?, method: HTTPMethod?, status: Int, totalNanoseconds: Int64, upstreamNanoseconds: Int64?, bytesIn: Int, bytesOut: Int) {
        let routeIndex = route ?? data.routes
        let series = data.requestSeries(route: routeIndex, method: method.map(MetricLabels.methodIndex) ?? MetricLabels.methods.count - 1, statusClass: MetricLabels.statusClassIndex(status))
        data.requests.record(series: series, nanoseconds: totalNanoseconds)
        data.overhead.record(series: routeIndex, nanoseconds: totalNanoseconds - (upstreamNanoseconds ?? 0))
        data.bytesIn[routeIndex] += bytesIn
        data.bytesOut[routeIndex] += bytesOut
    }

    func recordUpstream(group: Int, connectNanoseconds: Int64?, firstByteNanoseconds: Int64, totalNanoseconds: Int64) {
        if let connectNanoseconds { data.upstreamConnect.record(series: group, nanoseconds: connectNanoseconds) }
        data.upstreamFirstByte.record(series: group, nanoseconds: firstByteNanoseconds)
        data.upstreamTotal.record(series: group, nanoseconds: totalNanoseconds)
    }

    @inline(__always)
    func recordDecision(_ decision: AccessLogDecision) { data.decisions[decision, default: 0] += 1 }

    func recordRetry(group: Int) { data.retries[group] += 1 }
    func recordUpstreamFailure(group: Int) { data.upstreamFailures[group] += 1 }

    func connectionOpened(listener: Int) { data.connectionsAccepted[listener] += 1 }

    /// A connection's protocol is known (after ALPN for TLS): it counts as open HTTP/1 or HTTP/2.
    func protocolStarted(listener: Int, http2: Bool) {
        if http2 { data.openHTTP2[listener] += 1 } else { data.openHTTP1[listener] += 1 }
    }

    func protocolEnded(listener: Int, http2: Bool) {
        if http2 { data.openHTTP2[listener] -= 1 } else { data.openHTTP1[listener] -= 1 }
    }

    func http2StreamOpened(listener: Int) { data.http2Streams[listener] += 1 }

    func tlsHandshake(listener: Int, outcome: TLSOutcome) {
        data.tlsHandshakes[listener * TLSOutcome.allCases.count + outcome.rawValue] += 1
    }
}
