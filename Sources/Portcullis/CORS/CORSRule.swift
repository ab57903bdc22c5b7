/// One compiled `cors` rule: which requests it covers and what it lets other origins do there.
/// The response header values are built once here, never per request.
public final class CORSRule: PolicyRule {
    public let common: PolicyRuleCommon
    public let match: PolicyMatch
    public let isShadow: Bool
    public let origins: CORSOrigins
    /// Methods a cross-origin page may use (preflight answers list them).
    public let methods: [String]
    /// Lowercased request header names a page may send beyond the CORS-safelisted ones.
    public let headers: Set<String>
    public let allowCredentials: Bool
    /// Seconds a browser may cache a preflight answer; nil: the browser's default (5 s).
    public let maxAge: Int?

    let allowMethodsValue: String
    let allowHeadersValue: String
    let exposeHeadersValue: String?

    public init(common: PolicyRuleCommon, origins: CORSOrigins, methods: [String], headers: [String], exposeHeaders: [String], allowCredentials: Bool, maxAge: Int?) {
        self.common = common
        self.match = common.match
        self.isShadow = common.mode == .shadow
        self.origins = origins
        self.methods = methods
        self.headers = Set(headers.map { $0.lowercased() })
        self.allowCredentials = allowCredentials
        self.maxAge = maxAge
        self.allowMethodsValue = methods.joined(separator: ", ")
        self.allowHeadersValue = headers.joined(separator: ", ")
        self.exposeHeadersValue = exposeHeaders.isEmpty ? nil : exposeHeaders.joined(separator: ", ")
    }

    public var name: String { common.name }

    /// Request headers a page may always send (Fetch's CORS-safelisted request headers); they
    /// never need to be listed and are never refused in a preflight.
    static let safelistedHeaders: Set<String> = ["accept", "accept-language", "content-language", "content-type", "range"]

    /// The first requested header (from `Access-Control-Request-Headers`) this rule does not allow.
    func firstRefusedHeader(in requested: String) -> String? {
        for item in requested.split(separator: ",") {
            let name = item.trimmingSpaces().lowercased()
            if name.isEmpty || headers.contains(name) || CORSRule.safelistedHeaders.contains(name) { continue }
            return name
        }
        return nil
    }
}

extension CORSRule {
    /// `content-type,  x-user-id` → `content-type, x-user-id` (names lowercased, empties dropped).
    static func normalizedList(_ text: String) -> String {
        text.split(separator: ",").map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }.joined(separator: ", ")
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
