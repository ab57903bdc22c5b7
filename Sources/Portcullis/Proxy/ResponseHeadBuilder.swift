import NIOHTTP1

/// Shapes the upstream's response head for the client: hop-by-hop headers out, the request id in,
/// framing for the client's HTTP version, and whether either connection must close afterwards.
struct ResponseHeadBuilder {
    /// What the exchange knows when the upstream's head arrives.
    var clientVersion: HTTPVersion
    var isHeadRequest: Bool
    /// The client's request has been read to its end.
    var requestComplete: Bool
    /// The client connection closes after this response (requested, or an unparsable follow-up).
    var closeAfterResponse: Bool
    /// The upstream answered 101 to an upgrade this route allows.
    var tunnelAccepted: Bool
    var requestId: String

    struct Result {
        var head: HTTPResponseHead
        /// The upstream connection may carry another request afterwards.
        var upstreamKeepAlive: Bool
        var closeAfterResponse: Bool
        /// The body goes to the client chunked (so trailers can follow).
        var clientChunked: Bool
    }

    /// - Parameter decorate: the route's header policy and phases, applied to the application's
    ///   end-to-end headers before the gateway's own framing headers are added.
    func build(from upstreamHead: HTTPResponseHead, decorate: (inout HTTPHeaders) -> Void) -> Result {
        var (headers, connection, upgrade, hasContentLength, wasChunked) = HopByHopHeaders.strip(upstreamHead.headers)
        var closeAfterResponse = self.closeAfterResponse
        var clientChunked = false
        decorate(&headers)
        headers.add(name: "X-Request-Id", value: requestId)

        if tunnelAccepted {
            headers.add(name: "Connection", value: "upgrade")
            if let upgrade { headers.add(name: "Upgrade", value: upgrade) }
        } else {
            let status = upstreamHead.status.code
            let bodyless = isHeadRequest || status == 204 || status == 304 || status < 200
            if !bodyless, !hasContentLength {
                if clientVersion.minor == 1 {
                    headers.add(name: "Transfer-Encoding", value: "chunked")
                    clientChunked = true
                } else {
                    // An HTTP/1.0 client learns where the body ends by the connection closing.
                    closeAfterResponse = true
                }
            } else if isHeadRequest, wasChunked, clientVersion.minor == 1 {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            }
            if closeAfterResponse || !requestComplete {
                headers.add(name: "Connection", value: "close")
            } else if clientVersion.minor == 0 {
                headers.add(name: "Connection", value: "keep-alive")
            }
        }
        // Built once the headers are final: editing a head's headers afterwards copies them.
        let head = HTTPResponseHead(version: clientVersion, status: upstreamHead.status, headers: headers)
        let upstreamKeepAlive = upstreamHead.version.minor >= 1 ? !connection.close : connection.keepAlive
        return Result(head: head, upstreamKeepAlive: upstreamKeepAlive, closeAfterResponse: closeAfterResponse, clientChunked: clientChunked)
    }
}
