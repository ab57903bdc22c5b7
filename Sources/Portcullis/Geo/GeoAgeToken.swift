import NIOHTTP1

/// Where a rule finds its age token and what the token must say: a JWT in a cookie and/or a
/// header, signed with the rule's key, not expired (`exp` required), not before its `nbf`, and
/// carrying `claim: true`. Verification is jwt-kit's, cached per token (`JWTClaimVerifier`).
public final class GeoAgeToken: Sendable {
    public let cookie: String?
    public let header: String?
    /// The claim that must be `true`, e.g. `age_over_18`.
    public let claim: String
    public let verifier: JWTClaimVerifier
    /// The rule's key (an HS key can also issue tokens: `portcullis age-token`).
    public let key: JWTKeyMaterial

    public init(cookie: String?, header: String?, claim: String, key: JWTKeyMaterial) {
        self.cookie = cookie
        self.header = header
        self.claim = claim
        self.key = key
        self.verifier = JWTClaimVerifier(key: key)
    }

    /// The token the request carries, header first, then cookie; nil when it has none.
    func token(in headers: HTTPHeaders) -> Substring? {
        if let header, let value = headers.first(name: header) {
            var token = Substring(value).trimmingWhitespaceSubstring()
            if token.count > 7, token.prefix(7).lowercased() == "bearer " { token = token.dropFirst(7).trimmingWhitespaceSubstring() }
            if !token.isEmpty { return token }
        }
        if let cookie {
            // Every Cookie field: HTTP/2 clients may send one per cookie (RFC 9113 §8.2.3).
            for (name, field) in headers where name.utf8.count == 6 && name.lowercased() == "cookie" {
                for pair in field.split(separator: ";") {
                    let trimmed = pair.trimmingWhitespaceSubstring()
                    guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == cookie else { continue }
                    var value = trimmed[trimmed.index(after: equals)...]
                    if value.first == "\"", value.last == "\"", value.count >= 2 { value = value.dropFirst().dropLast() }
                    if !value.isEmpty { return value }
                }
            }
        }
        return nil
    }

    /// Whether verified claims prove the age: the claim is `true` and the token has an `exp`.
    func accepts(_ claims: [String: String]) -> Bool {
        claims[claim] == "true" && claims["exp"] != nil
    }
}
