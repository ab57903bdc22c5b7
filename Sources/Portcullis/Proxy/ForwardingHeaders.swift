import NIOHTTP1

/// Rewrites a request's headers for the upstream: hop-by-hop headers out, `X-Forwarded-*`,
/// `X-Real-IP` and `X-Request-Id` set by the gateway. Copies supplied by the client are kept only
/// when the peer is a trusted proxy.
enum ForwardingHeaders {
    /// Headers only the gateway may set: an untrusted client's copies never reach the application.
    static let gatewayOwned = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "forwarded", "x-request-id"]

    static func rewrite(_ headers: inout HTTPHeaders, accepted: RequestHygiene.Accepted, context: RequestContext, scheme: String) {
        HopByHopHeaders.remove(from: &headers)
        removeGeoHeaders(&headers)
        let peer = context.peerAddress.description
        if context.peerIsTrusted {
            let chain = headers[canonicalForm: "x-forwarded-for"]
            headers.remove(name: "x-forwarded-for")
            headers.add(name: "X-Forwarded-For", value: chain.isEmpty ? peer : chain.joined(separator: ", ") + ", " + peer)
            if !headers.contains(name: "x-forwarded-proto") { headers.add(name: "X-Forwarded-Proto", value: scheme) }
            if !headers.contains(name: "x-forwarded-host") { headers.add(name: "X-Forwarded-Host", value: accepted.authority) }
            headers.remove(name: "x-real-ip")
        } else {
            for name in gatewayOwned { headers.remove(name: name) }
            headers.add(name: "X-Forwarded-For", value: peer)
            headers.add(name: "X-Forwarded-Proto", value: scheme)
            headers.add(name: "X-Forwarded-Host", value: accepted.authority)
        }
        headers.add(name: "X-Real-IP", value: context.clientAddress.description)
        headers.replaceOrAdd(name: "X-Request-Id", value: context.requestId)
        if headers.first(name: "host") != accepted.authority { headers.replaceOrAdd(name: "Host", value: accepted.authority) }
        switch accepted.framing {
        case .none: break
        case .contentLength: break  // the client's single, validated Content-Length is kept as is
        case .chunked: headers.add(name: "Transfer-Encoding", value: "chunked")
        }
    }

    /// `X-Geo-*` is the gateway's own location header family; nobody else may set it.
    private static func removeGeoHeaders(_ headers: inout HTTPHeaders) {
        var geoNames: [String] = []
        for (name, _) in headers where name.utf8.count > 6 && name.lowercased().hasPrefix("x-geo-") { geoNames.append(name) }
        for name in geoNames { headers.remove(name: name) }
    }
}
