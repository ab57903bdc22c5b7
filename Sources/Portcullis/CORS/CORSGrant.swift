import NIOHTTP1

/// What a request's CORS rule allowed, carried to its response: the headers that let the
/// calling page read the answer.
public struct CORSGrant: Sendable {
    public let rule: CORSRule
    /// The allowed `Origin`, echoed back; nil when the request had none or was not allowed (the
    /// response still varies by origin, so caches keep the answers apart).
    public let origin: String?

    /// Replaces the application's CORS headers with the rule's.
    public func apply(to headers: inout HTTPHeaders) {
        headers.remove(name: "access-control-allow-origin")
        headers.remove(name: "access-control-allow-credentials")
        headers.remove(name: "access-control-expose-headers")
        headers.add(name: "Vary", value: "Origin")
        guard let origin else { return }
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        if rule.allowCredentials { headers.add(name: "Access-Control-Allow-Credentials", value: "true") }
        if let expose = rule.exposeHeadersValue { headers.add(name: "Access-Control-Expose-Headers", value: expose) }
    }
}
