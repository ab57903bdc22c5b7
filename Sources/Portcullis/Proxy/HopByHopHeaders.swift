import NIOHTTP1

/// Removes the headers that describe one connection, not the message: they must not cross a proxy.
enum HopByHopHeaders {
    /// Copies `headers` without hop-by-hop fields and those named in `Connection`, and reports what
    /// the caller needs about framing and connection handling, all in one pass.
    static func strip(_ headers: HTTPHeaders) -> (headers: HTTPHeaders, connection: ConnectionTokens, upgrade: String?, hasContentLength: Bool, wasChunked: Bool) {
        var connection = ConnectionTokens()
        var upgrade: String?
        var hasContentLength = false
        var wasChunked = false
        for (name, value) in headers {
            switch HeaderName.classify(name) {
            case .connection: connection.add(value)
            case .upgrade: upgrade = value
            case .contentLength: hasContentLength = true
            case .transferEncoding: wasChunked = ConnectionTokens.equalsIgnoringCase(value.utf8.suffix(7), "chunked")
            default: continue
            }
        }
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count + 3)
        for (name, value) in headers {
            let kind = HeaderName.classify(name)
            if kind.isHopByHop { continue }
            if kind == .other, connection.nominates(name) { continue }
            result.add(name: name, value: value)
        }
        return (result, connection, upgrade, hasContentLength, wasChunked)
    }

    /// Removes hop-by-hop headers in place (interim responses, tests).
    static func remove(from headers: inout HTTPHeaders) {
        headers = strip(headers).headers
    }
}
