/// The path and query of a request target, split without percent-decoding.
///
/// The demo reports paths exactly as the gateway forwarded them, so that rewrites
/// done by the gateway are visible to whoever is curling.
struct DemoRequestTarget: Equatable {
    var path: String
    var query: String?

    init(uri: String) {
        var rest = Substring(uri)
        // Absolute-form ("http://host/path") is legal on the wire; keep only the path part.
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let afterScheme = rest[rest.index(colon, offsetBy: 3)...]
            rest = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? ""
        }
        if let mark = rest.firstIndex(of: "?") {
            self.path = String(rest[..<mark])
            self.query = String(rest[rest.index(after: mark)...])
        } else {
            self.path = String(rest)
            self.query = nil
        }
        if self.path.isEmpty {
            self.path = "/"
        }
    }

    /// The raw value of the first `name=value` pair in the query, if any.
    func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts[0] == name {
                return parts.count > 1 ? String(parts[1]) : ""
            }
        }
        return nil
    }

    /// Whether the path is `prefix` itself or lies below it (`/api` and `/api/x`, not `/apix`).
    func isAtOrBelow(_ prefix: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + "/")
    }
}
