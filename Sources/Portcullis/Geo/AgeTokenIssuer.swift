import Foundation
import JWTKit

/// Makes age tokens with a rule's shared (HS) key: for demos, tests and an operator's own
/// verification service. Rules with an asymmetric key (ES256, EdDSA) cannot issue: only the
/// holder of the private key can.
public enum AgeTokenIssuer {
    public struct CannotIssue: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - claimValue: the value of the rule's claim (true proves the age).
    ///   - expiresIn: seconds from now to `exp` (negative: already expired).
    ///   - notBeforeIn: seconds from now to `nbf`, if any.
    public static func issue(for token: GeoAgeToken, claimValue: Bool = true, expiresIn: Int = 3600, notBeforeIn: Int? = nil) async throws -> String {
        guard case .hmac(let key, let digest) = token.key else {
            throw CannotIssue(description: "the rule verifies with a public key; only the holder of its private key can issue tokens")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: key, digestAlgorithm: digest)
        let now = Int(Date().timeIntervalSince1970)
        var payload = AgeTokenPayload(claims: [token.claim: .bool(claimValue), "exp": .int(now + expiresIn)])
        if let notBeforeIn { payload.claims["nbf"] = .int(now + notBeforeIn) }
        return try await keys.sign(payload)
    }
}

/// The claims of an issued age token.
struct AgeTokenPayload: JWTPayload {
    enum Value: Encodable {
        case bool(Bool)
        case int(Int)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .bool(let flag): try container.encode(flag)
            case .int(let number): try container.encode(number)
            }
        }
    }

    var claims: [String: Value]

    init(claims: [String: Value]) { self.claims = claims }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws { claims = [:] }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in claims { try container.encode(value, forKey: Key(stringValue: name)) }
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
