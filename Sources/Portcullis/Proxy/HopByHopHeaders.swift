import NIOHTTP1

/// Removes the headers that describe one connection, not the message: they must not cross a proxy.
enum HopByHopHeaders {
    static let names: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authorization", "proxy-authenticate",
    ]

    /// Removes the standard hop-by-hop headers and every header named in `Connection`.
    static func remove(from headers: inout HTTPHeaders) {
        let nominated = headers[canonicalForm: "connection"]
        for token in nominated {
            let name = token.lowercased()
            // Never let a client delete the framing or host of a request via Connection.
            if name == "host" || name == "content-length" { continue }
            headers.remove(name: String(token))
        }
        for name in names { headers.remove(name: name) }
    }
}
