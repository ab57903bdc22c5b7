/// Lays out one frame of `portcullis top`: plain lines of at most `width` columns, with ANSI
/// bold and red only when `ansi` is on (a terminal); `screen` wraps a frame in the escape codes
/// that redraw a terminal in place.
public enum TopView {
    public static let width = 100

    /// - Parameters:
    ///   - source: where the figures came from (the admin address).
    ///   - time: the wall-clock time of the scrape, as the caller formats it.
    ///   - problem: a scrape that failed since the last good one (the figures shown are older).
    public static func render(_ stats: TopStatistics, source: String, time: String, problem: String? = nil, ansi: Bool = false, width: Int = TopView.width) -> [String] {
        var lines: [String] = []
        let style = Style(ansi: ansi)

        var title = "portcullis top · \(source)"
        if let version = stats.version { title += " · v\(version)" }
        title += " · \(time)"
        title += stats.interval.map { " · over \(fixed($0, 1))s" } ?? " · first scrape, rates from the next"
        lines.append(style.bold(clip(title, width)))
        if let problem { lines.append(style.red(clip("scrape failed: \(problem) (figures below are from the last good scrape)", width))) }

        var summary = "requests \(rate(stats.requestsPerSecond))/s"
        if !stats.statusRates.isEmpty {
            summary += "  (" + TopStatistics.statusClasses.map { "\($0) \(rate(stats.statusRates[$0]))" }.joined(separator: "  ") + ")"
        }
        summary += "  · open connections \(count(stats.openConnections))"
        lines.append(clip(summary, width))
        lines.append("")

        // Routes.
        let routeColumns: [Column] = [.init("ROUTE", 20, left: true), .init("REQ/S", 9), .init("P50", 9), .init("P99", 9), .init("OVERHEAD P99", 13), .init("2XX/S", 8), .init("3XX/S", 8), .init("4XX/S", 8), .init("5XX/S", 8)]
        lines.append(style.bold(row(routeColumns, routeColumns.map(\.title))))
        if stats.routes.isEmpty { lines.append("(no routes)") }
        for route in stats.routes {
            let classes = ["2xx", "3xx", "4xx", "5xx"].map { route.statusRates.isEmpty ? "—" : rate(route.statusRates[$0]) }
            lines.append(row(routeColumns, [route.name, rate(route.requestsPerSecond), duration(route.p50), duration(route.p99), duration(route.overheadP99)] + classes))
        }
        lines.append("")

        // Upstreams.
        let upstreamColumns: [Column] = [.init("UPSTREAM", 20, left: true), .init("STATE", 8, left: true), .init("ENDPOINTS", 9), .init("P99", 9), .init("FAIL/S", 7), .init("RETRY/S", 7), .init("EJECTED", 8), .init("IDLE", 5)]
        let upstreamHeader = row(upstreamColumns, upstreamColumns.map(\.title))
        lines.append(style.bold(upstreamHeader + "  DOWN"))
        if stats.upstreams.isEmpty { lines.append("(no upstreams)") }
        for upstream in stats.upstreams {
            let ejected = count(upstream.ejections) + (upstream.ejectionsInInterval.map { $0 > 0 ? " +\(count($0))" : "" } ?? "")
            var text = row(upstreamColumns, [upstream.name, upstream.state, "\(upstream.endpointsUp)/\(upstream.endpoints)", duration(upstream.p99), rate(upstream.failuresPerSecond), rate(upstream.retriesPerSecond), ejected, count(upstream.idleConnections)])
            if !upstream.down.isEmpty { text += "  " + downList(upstream.down, width: width - text.count - 2) }
            text = clip(text, width)
            lines.append(upstream.state == "up" ? text : style.red(text))
        }
        lines.append("")

        // Decisions.
        let ruleColumns: [Column] = [.init("RATE-LIMIT RULE", 24, left: true), .init("MODE", 8, left: true), .init("REFUSED/S", 10), .init("BANS/S", 8), .init("REFUSED", 10), .init("BANS", 8)]
        lines.append(style.bold(row(ruleColumns, ruleColumns.map(\.title))))
        if stats.rules.isEmpty { lines.append("(no rate-limit rules in force)") }
        for rule in stats.rules {
            lines.append(row(ruleColumns, [rule.name, rule.mode, rate(rule.refusalsPerSecond), rate(rule.bansPerSecond), count(rule.refusals), count(rule.bans)]))
        }
        lines.append("")

        // Every rule's decisions (rate limits, CORS, geo, uploads, header rules).
        let decisionColumns: [Column] = [.init("KIND", 10, left: true), .init("POLICY RULE", 24, left: true), .init("PASSED/S", 9), .init("BLOCKED/S", 10), .init("SHADOW/S", 9), .init("FAILED/S", 9), .init("BLOCKED", 10)]
        lines.append(style.bold(row(decisionColumns, decisionColumns.map(\.title))))
        if stats.decisions.isEmpty { lines.append("(no policy decisions yet)") }
        for rule in stats.decisions {
            let text = row(decisionColumns, [rule.kind, rule.rule, rate(rule.passedPerSecond), rate(rule.blockedPerSecond), rate(rule.shadowPerSecond), rate(rule.failedPerSecond), count(rule.blocked)])
            lines.append((rule.failedPerSecond ?? 0) > 0 ? style.red(text) : text)
        }
        lines.append("")

        // Listeners and TLS.
        let listenerColumns: [Column] = [.init("LISTENER", 20, left: true), .init("OPEN H1", 8), .init("OPEN H2", 8), .init("CONN/S", 8), .init("TLS OK/S", 9), .init("TLS FAIL/S", 11), .init("TLS FAILED", 11)]
        lines.append(style.bold(row(listenerColumns, listenerColumns.map(\.title))))
        for listener in stats.listeners {
            let tls = listener.tls ? [rate(listener.handshakesPerSecond), rate(listener.tlsFailuresPerSecond), count(listener.tlsFailures)] : ["-", "-", "-"]
            let text = row(listenerColumns, [listener.name, count(listener.openHTTP1), count(listener.openHTTP2), rate(listener.acceptedPerSecond)] + tls)
            lines.append((listener.tlsFailuresPerSecond ?? 0) > 0 ? style.red(text) : text)
        }
        lines.append("")

        var footer: [String] = []
        if let digest = stats.policyDigest {
            footer.append("policy \(digest.prefix(12))" + (stats.policyRules.map { " (\($0) rules)" } ?? ""))
        }
        if let ok = stats.reloadsOK, let failed = stats.reloadsFailed { footer.append("reloads \(count(ok)) ok, \(count(failed)) failed") }
        if let dropped = stats.logLinesDropped { footer.append("log lines dropped \(count(dropped))" + (stats.logLinesDroppedPerSecond.map { $0 > 0 ? " (\(rate($0))/s)" : "" } ?? "")) }
        if let keys = stats.rateLimitKeys, let capacity = stats.rateLimitKeyCapacity { footer.append("rate-limit keys \(count(keys))/\(count(capacity))") }
        // The footer's parts, wrapped to the width.
        var footerLine = ""
        for part in footer {
            if !footerLine.isEmpty, footerLine.count + 3 + part.count > width {
                lines.append(clip(footerLine, width))
                footerLine = ""
            }
            footerLine += (footerLine.isEmpty ? "" : " · ") + part
        }
        if !footerLine.isEmpty { lines.append(clip(footerLine, width)) }
        return lines
    }

    /// As many ejected endpoints as fit in `width` columns, then "+N" for the rest.
    static func downList(_ endpoints: [String], width: Int) -> String {
        var text = ""
        for (index, endpoint) in endpoints.enumerated() {
            let rest = endpoints.count - index - 1
            let more = rest > 0 ? " +\(rest)" : ""
            let candidate = (text.isEmpty ? "" : text + " ") + endpoint
            if candidate.count + more.count > width {
                return text.isEmpty ? clip(endpoint, max(width - " +\(endpoints.count - 1)".count, 2)) + (endpoints.count > 1 ? " +\(endpoints.count - 1)" : "") : text + " +\(endpoints.count - index)"
            }
            text = candidate
        }
        return text
    }

    /// A frame for a terminal: cursor home, each line cleared to its end, the rest of the screen
    /// cleared (the first frame clears the whole screen first). No alternate screen, so the last
    /// frame stays visible after Ctrl-C.
    public static func screen(_ lines: [String], first: Bool) -> String {
        var text = first ? "\u{1B}[2J\u{1B}[H" : "\u{1B}[H"
        for line in lines { text += line + "\u{1B}[K\n" }
        return text + "\u{1B}[J"
    }

    // MARK: - Formatting

    /// A rate with one decimal ("—" when unknown).
    static func rate(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return value >= 100_000 ? fixed(value, 0) : fixed(value, 1)
    }

    static func count(_ value: Double) -> String {
        value.isFinite ? fixed(value, 0) : "—"
    }

    /// Seconds as µs below a millisecond, ms below a second, else s.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "—" }
        if seconds < 0.001 { return fixed(seconds * 1_000_000, 0) + "µs" }
        if seconds < 1 { return fixed(seconds * 1_000, 2) + "ms" }
        return fixed(seconds, 2) + "s"
    }

    /// `value` rounded to `decimals` places, without Foundation.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return String(value) }
        let units = Int64(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        let whole = units / Int64(scale)
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = String(units % Int64(scale))
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    struct Column {
        var title: String
        var width: Int
        var left: Bool
        init(_ title: String, _ width: Int, left: Bool = false) {
            self.title = title
            self.width = width
            self.left = left
        }
    }

    /// Cells padded to their columns (left-aligned text, right-aligned numbers), one space apart.
    static func row(_ columns: [Column], _ cells: [String]) -> String {
        var parts: [String] = []
        for (column, cell) in zip(columns, cells) {
            let text = clip(cell, column.width)
            let padding = String(repeating: " ", count: column.width - text.count)
            parts.append(column.left ? text + padding : padding + text)
        }
        var line = parts.joined(separator: " ")
        while line.last == " " { line.removeLast() }
        return line
    }

    static func clip(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    private struct Style {
        var ansi: Bool
        func bold(_ text: String) -> String { ansi ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
        func red(_ text: String) -> String { ansi ? "\u{1B}[31m\(text)\u{1B}[0m" : text }
    }
}
