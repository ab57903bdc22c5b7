import NIOHTTP1

/// The HTTP methods a rule's `match.methods` may name: the RFC 9110 methods, PATCH (RFC 5789)
/// and the WebDAV methods. Method names are case-sensitive (RFC 9110 §9.1), so `get` is refused.
enum PolicyMethods {
    static let known: [String] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH", "MKCALENDAR",
    ]

    /// The method for a known name; nil for anything else.
    static func method(named name: String) -> HTTPMethod? {
        guard known.contains(name) else { return nil }
        return HTTPMethod(rawValue: name)
    }
}
