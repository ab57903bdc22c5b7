/// The origins a CORS rule allows: exact origins (`https://app.example`), every subdomain of a
/// host (`https://*.example.com`), or any origin (`*`, never with credentials).
public struct CORSOrigins: Sendable, Equatable {
    /// Normalized (`scheme://host[:port]`, lowercase, default port dropped), as browsers send them.
    public var exact: Set<String> = []
    /// `https://*.example.com` as (`https://`, `.example.com`, nil port).
    public var wildcards: [Wildcard] = []
    public var any = false

    public struct Wildcard: Sendable, Equatable {
        public var schemePrefix: String
        public var hostSuffix: String
        public var port: String?
    }

    public init() {}

    /// Whether `origin` (the request's `Origin` value) is allowed.
    public func allows(_ origin: String) -> Bool {
        if any { return true }
        // Browsers send the serialized origin (lowercase, no default port); normalize anyway,
        // so a hand-made request is judged the way a browser's would be.
        guard let normalized = CORSOrigins.normalize(origin) else { return false }
        if exact.contains(normalized.text) { return true }
        for wildcard in wildcards where normalized.text.hasPrefix(wildcard.schemePrefix) && normalized.port == wildcard.port {
            let host = normalized.host
            if host.hasSuffix(wildcard.hostSuffix), host.utf8.count > wildcard.hostSuffix.utf8.count { return true }
        }
        return false
    }

    /// `scheme://host[:port]` with scheme http or https and no path, query or user info.
    /// - Returns: the serialized origin, its host and its explicit non-default port; nil otherwise.
    public static func normalize(_ text: String) -> (text: String, host: String, port: String?)? {
        let lowered = text.lowercased()
        let scheme: String
        let defaultPort: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
            defaultPort = "443"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
            defaultPort = "80"
        } else {
            return nil
        }
        let authority = lowered.dropFirst(scheme.count + 3)
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@"), !authority.contains("?"), !authority.contains("#") else { return nil }
        guard RequestHygiene.isValidAuthority(String(authority), allowEmpty: false) else { return nil }
        var host = Substring(authority)
        var port: String?
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
            let digits = authority[authority.index(after: colon)...]
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            if digits != Substring(defaultPort) { port = String(digits) }
        }
        let serialized = "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
        return (serialized, String(host), port)
    }
}
