import NIOCore
import NIOHTTP1

/// What the gateway keeps of each exchange once it is answered: the loop's metrics, one access
/// log line, and an audit line for every block and ban. All on the loop, without blocking.
extension ProxyConnectionHandler {
    /// The exchange into this loop's metrics and logs, once: its duration as the client saw it
    /// and, when the upstream answered, the upstream's part.
    /// - Parameter requestId: for answers to heads that never got a request context.
    func recordExchange(status: Int, forwarded: Bool, requestId: String? = nil) {
        guard !exchange.recorded else { return }
        exchange.recorded = true
        let now = Self.now()
        // A head the parser refused has no start: it is counted, with no duration.
        let start = exchange.startNanos > 0 ? exchange.startNanos : now
        var upstreamPart: Int64?
        let requestContext = exchange.requestContext
        let route = requestContext?.route
        if forwarded, let route, exchange.upstreamSentNanos > 0 {
            let total = now - exchange.upstreamSentNanos
            upstreamPart = total
            if resources.recordsMetrics {
                let firstByte = (exchange.upstreamHeadNanos > 0 ? exchange.upstreamHeadNanos : now) - exchange.upstreamSentNanos
                resources.metrics.recordUpstream(group: route.upstream.index, connectNanoseconds: exchange.connectNanos, firstByteNanoseconds: firstByte, totalNanoseconds: total)
            }
        }
        let decisions = collectDecisions()
        if resources.recordsMetrics {
            resources.metrics.recordRequest(route: route?.index, method: exchange.method, status: status, totalNanoseconds: now - start, upstreamNanoseconds: upstreamPart, bytesIn: exchange.bodyBytes, bytesOut: exchange.bytesOut)
            decisions.forEach { resources.metrics.recordDecision($0) }
        }

        let id = requestContext?.requestId ?? requestId ?? "-"
        if let auditLogger = resources.auditLogger { audit(auditLogger, requestId: id, status: status) }
        guard let accessLogger = resources.accessLogger else { return }
        var record = AccessLogRecord(
            requestId: id, client: requestContext?.clientAddress ?? peer, method: exchange.method ?? .GET,
            host: requestContext?.host ?? "", route: route?.name, target: requestContext?.target ?? "",
            httpProtocol: isHTTP2 ? .http2 : (exchange.clientVersion.minor == 0 ? .http1_0 : .http1_1), isTLS: isTLS, status: status
        )
        record.traceID = requestContext?.traceID ?? ""
        record.bytesIn = Int64(exchange.bodyBytes)
        record.bytesOut = Int64(exchange.bytesOut)
        record.durationNanos = now - start
        if let upstreamPart, let route {
            record.upstream = route.upstream.name
            record.upstreamNanos = upstreamPart
        }
        if accessLogger.format.logsHeaders, let headers = exchange.upstreamHead?.headers { record.requestHeaders = headers }
        record.decisions = decisions
        accessLogger.log(record)
    }

    /// Every decision a policy rule took about this exchange: the header rule applied (not the
    /// global block), shadow matches, the phases' own, and the rate-limit rule's verdict.
    private func collectDecisions() -> AccessLogDecisions {
        var decisions = AccessLogDecisions()
        if let rule = exchange.headerRule { decisions.append(kind: .headers, rule: rule, outcome: .applied) }
        if let shadow = exchange.headerShadowRule { decisions.append(kind: .headers, rule: shadow, outcome: .shadow) }
        guard let requestContext = exchange.requestContext else { return decisions }
        requestContext.decisions.forEach { decisions.append($0) }
        requestContext.rateLimit.shadowHits.forEach { decisions.append($0) }
        if let upload = requestContext.uploadScan?.decision { decisions.append(upload) }
        requestContext.rateLimit.deferred?.shadowHits.forEach { decisions.append($0) }
        if let (rule, decision) = requestContext.rateLimit.resolved {
            let outcome: AccessLogDecision.Outcome = decision.storeError ? .storeError
                : decision.verdict == .allowed ? .allowed : (decision.verdict == .banned || decision.banStarted > 0 ? .banned : .limited)
            decisions.append(kind: .rateLimit, rule: rule.name, outcome: outcome)
        }
        return decisions
    }

    /// A request a phase refused, and a ban it began, each get an audit line.
    private func audit(_ auditLogger: AuditLogger, requestId: String, status: Int) {
        guard let requestContext = exchange.requestContext else { return }
        let resolved = requestContext.rateLimit.resolved
        if let (rule, decision) = resolved, decision.banStarted > 0 {
            auditLogger.log(AuditRecord(
                event: .ban(keyKind: rule.key.kinds, durationNanos: decision.banStarted, level: decision.banLevel),
                requestId: requestId, client: requestContext.clientAddress, rule: rule.name
            ))
        }
        if let upload = requestContext.uploadScan {
            for kept in upload.quarantined {
                auditLogger.log(AuditRecord(
                    event: .quarantine(signature: kept.reason, location: kept.path, sha256: kept.sha256),
                    requestId: requestId, client: requestContext.clientAddress, rule: upload.decision?.rule
                ))
            }
        }
        guard let problem = exchange.blockedBy else { return }
        let kind: AccessLogDecision.Kind
        let outcome: AccessLogDecision.Outcome
        let rule: String
        if problem.slug == "rate-limited", let (limitRule, decision) = resolved {
            kind = .rateLimit
            outcome = decision.verdict == .limited && decision.banStarted == 0 ? .limited : .banned
            rule = limitRule.name
        } else {
            var last: AccessLogDecision?
            requestContext.decisions.forEach { if $0.outcome.isNotable { last = $0 } }
            if let upload = requestContext.uploadScan?.decision, upload.outcome.isNotable { last = upload }
            kind = last?.kind ?? .cors
            outcome = last?.outcome ?? .refused
            rule = last?.rule ?? "-"
        }
        auditLogger.log(AuditRecord(
            event: .block(kind: kind, outcome: outcome, status: status, method: exchange.method ?? .GET, host: requestContext.host, target: requestContext.target),
            requestId: requestId, client: requestContext.clientAddress, rule: rule
        ))
    }

    @inline(__always)
    static func now() -> Int64 { Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds) }
}
