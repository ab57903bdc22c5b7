import NIOHTTP1

/// Builds the header block sent upstream in one pass over the client's: hop-by-hop headers out
/// (including those `Connection` names), `X-Forwarded-*`, `X-Real-IP` and `X-Request-Id` set by the
/// gateway. Copies supplied by the client are kept only when the peer is a trusted proxy;
/// `X-Geo-*` is the gateway's own family and never comes from a client.
enum ForwardingHeaders {
    /// Rewrites a header block in place (scans it first); the request path uses `build` with its own scan.
    static func rewrite(_ headers: inout HTTPHeaders, accepted: RequestHygiene.Accepted, context: RequestContext, scheme: String) {
        let scan = RequestHeadScan(headers, peerIsTrusted: context.peerIsTrusted)
        headers = build(from: headers, scan: scan, accepted: accepted, context: context, peerText: context.peerAddress.description, scheme: scheme)
    }

    /// - Parameter traceParent: the `traceparent` to send; nil leaves the client's trace headers as they are.
    static func build(from original: HTTPHeaders, scan: RequestHeadScan, accepted: RequestHygiene.Accepted, context: RequestContext, peerText: String, scheme: String, traceParent: TraceParent? = nil) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(original.count + 7)
        let trusted = context.peerIsTrusted
        var hostWritten = false
        for (name, value) in original {
            let kind = HeaderName.classify(name)
            switch kind {
            case .host:
                // The authority may come from an absolute-form target (RFC 9112 §3.2.2).
                headers.add(name: name, value: accepted.authority)
                hostWritten = true
                continue
            case .xForwardedFor, .xRealIP, .xRequestId, .xGeo:
                continue  // rebuilt below, or never believed
            case .xForwardedProto, .xForwardedHost, .forwarded:
                if !trusted { continue }
            case .traceParent:
                if traceParent != nil { continue }  // added below
            case .traceState:
                if let traceParent, !traceParent.continued { continue }  // belongs to a trace not continued
            case .contentLength, .other, .expect:
                break
            default:
                if kind.isHopByHop { continue }
            }
            if !scan.connection.nominated.isEmpty, kind == .other, scan.connection.nominates(name) { continue }
            headers.add(name: name, value: value)
        }
        if !hostWritten { headers.add(name: "Host", value: accepted.authority) }
        if trusted, !scan.forwardedFor.isEmpty {
            headers.add(name: "X-Forwarded-For", value: scan.forwardedFor.joined(separator: ", ") + ", " + peerText)
        } else {
            headers.add(name: "X-Forwarded-For", value: peerText)
        }
        if !(trusted && scan.hasForwardedProto) { headers.add(name: "X-Forwarded-Proto", value: scheme) }
        if !(trusted && scan.hasForwardedHost) { headers.add(name: "X-Forwarded-Host", value: accepted.authority) }
        headers.add(name: "X-Real-IP", value: context.clientAddress == context.peerAddress ? peerText : context.clientAddress.description)
        headers.add(name: "X-Request-Id", value: context.requestId)
        if let traceParent { headers.add(name: "traceparent", value: traceParent.value) }
        if accepted.framing == .chunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        return headers
    }
}
