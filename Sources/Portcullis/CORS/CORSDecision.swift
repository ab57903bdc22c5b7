import Foundation
import NIOHTTP1

/// What a CORS rule makes of one request.
public enum CORSDecision: Sendable {
    /// Not a cross-origin request (no `Origin`, or the request's own origin): nothing to do.
    case notCrossOrigin
    /// Allowed: forwarded, and the response carries the grant's headers.
    case allow(CORSGrant)
    /// A read (GET, HEAD, OPTIONS) from an origin the rule does not allow: forwarded, but the
    /// response gets no CORS headers, so the browser keeps it from the calling page.
    case forwardWithoutGrant
    /// A preflight the gateway answers itself (204 with these headers).
    case preflight(HTTPHeaders)
    /// Refused with 403: a state-changing request from an origin not allowed, or a preflight
    /// asking for what the rule does not allow.
    case refuse(ProblemResponse)

    /// The request as the CORS rule sees it.
    public struct Request {
        public var method: HTTPMethod
        /// The `Origin` header; nil when absent.
        public var origin: String?
        /// The request's own origin parts (scheme, host as sent in `Host`), for same-origin requests.
        public var isTLS: Bool
        public var authority: String
        /// `Access-Control-Request-Method` and `-Headers` (a preflight has the former).
        public var requestedMethod: String?
        public var requestedHeaders: String?

        /// Reads what CORS needs from a request's headers.
        public init(method: HTTPMethod, headers: HTTPHeaders, isTLS: Bool, authority: String) {
            let origin = headers.first(name: "origin")
            let requestedMethod = origin == nil ? nil : headers.first(name: "access-control-request-method")
            self.init(
                method: method, origin: origin, isTLS: isTLS, authority: authority, requestedMethod: requestedMethod,
                requestedHeaders: requestedMethod == nil ? nil : headers.first(name: "access-control-request-headers")
            )
        }

        public init(method: HTTPMethod, origin: String?, isTLS: Bool, authority: String, requestedMethod: String?, requestedHeaders: String?) {
            self.method = method
            self.origin = origin
            self.isTLS = isTLS
            self.authority = authority
            self.requestedMethod = requestedMethod
            self.requestedHeaders = requestedHeaders
        }

        public var isPreflight: Bool { method == .OPTIONS && requestedMethod != nil && origin != nil }

        /// The method the rule's `match.methods` is compared with: a preflight asks on behalf of
        /// the method it names.
        public var matchedMethod: HTTPMethod {
            if isPreflight, let requestedMethod { return HTTPMethod(rawValue: requestedMethod) }
            return method
        }
    }

    /// Decides for `request` under `rule`.
    public static func decide(_ request: Request, rule: CORSRule) -> CORSDecision {
        guard let origin = request.origin else { return .notCrossOrigin }
        if isSameOrigin(origin, request) { return .notCrossOrigin }
        let allowed = rule.origins.allows(origin)
        if request.isPreflight, let requestedMethod = request.requestedMethod {
            guard allowed else {
                return .refuse(refusal("cors-origin-refused", "rule '\(rule.name)' does not allow the origin '\(origin.prefix(200))'"))
            }
            guard rule.methods.contains(requestedMethod) else {
                return .refuse(refusal("cors-preflight-refused", "rule '\(rule.name)' does not allow the method '\(requestedMethod.prefix(40))' from other origins; allowed: \(rule.allowMethodsValue)"))
            }
            if let requestedHeaders = request.requestedHeaders, let refused = rule.firstRefusedHeader(in: requestedHeaders) {
                return .refuse(refusal("cors-preflight-refused", "rule '\(rule.name)' does not allow the request header '\(refused.prefix(80))' from other origins; allowed: \(rule.allowHeadersValue.isEmpty ? "none beyond the CORS-safelisted ones" : rule.allowHeadersValue)"))
            }
            var headers = HTTPHeaders()
            headers.reserveCapacity(8)
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
            headers.add(name: "Access-Control-Allow-Methods", value: rule.allowMethodsValue)
            // Every header the preflight names must be in the answer, the safelisted ones too (a
            // browser names Content-Type when its value is application/json): they are checked
            // above, so the requested list is echoed.
            if let requested = request.requestedHeaders, !requested.trimmingCharacters(in: [" ", "\t"]).isEmpty {
                headers.add(name: "Access-Control-Allow-Headers", value: CORSRule.normalizedList(requested))
            } else if !rule.allowHeadersValue.isEmpty {
                headers.add(name: "Access-Control-Allow-Headers", value: rule.allowHeadersValue)
            }
            if rule.allowCredentials { headers.add(name: "Access-Control-Allow-Credentials", value: "true") }
            if let maxAge = rule.maxAge { headers.add(name: "Access-Control-Max-Age", value: String(maxAge)) }
            headers.add(name: "Vary", value: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
            return .preflight(headers)
        }
        if allowed { return .allow(CORSGrant(rule: rule, origin: origin)) }
        if isSafe(request.method) { return .forwardWithoutGrant }
        return .refuse(refusal("cors-origin-refused", "rule '\(rule.name)' does not allow \(request.method.rawValue) requests from the origin '\(origin.prefix(200))'"))
    }

    /// Reads cannot change anything: a page from another origin may send them, it just cannot
    /// read the answer. Everything else changes state and is refused before it is forwarded.
    static func isSafe(_ method: HTTPMethod) -> Bool {
        method == .GET || method == .HEAD || method == .OPTIONS
    }

    /// Browsers send `Origin` on same-origin POSTs too; those are not cross-origin.
    static func isSameOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let normalized = CORSOrigins.normalize(origin),
            let own = CORSOrigins.normalize((request.isTLS ? "https://" : "http://") + request.authority)
        else { return false }
        return normalized.text == own.text
    }

    private static func refusal(_ slug: String, _ detail: String) -> ProblemResponse {
        ProblemResponse(status: .forbidden, slug: slug, detail: detail)
    }
}
