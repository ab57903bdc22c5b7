import Foundation
import JWTKit

/// The claims of a bearer token used as a rate-limit key: every top-level claim that is a
/// string, number or boolean, as text (`"sub": "u-42"` → `u-42`, `"tenant": 7` → `7`), and the
/// time claims checked after the signature (`exp`, `nbf`: numbers, or the token is refused).
struct RateLimitTokenClaims: JWTPayload {
    var values: [String: String]
    var expiration: Date?
    var notBefore: Date?

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var values: [String: String] = [:]
        for key in container.allKeys {
            if let text = try? container.decode(String.self, forKey: key) {
                values[key.stringValue] = text
            } else if let number = try? container.decode(Int64.self, forKey: key) {
                values[key.stringValue] = String(number)
            } else if let number = try? container.decode(Double.self, forKey: key) {
                values[key.stringValue] = String(number)
            } else if let flag = try? container.decode(Bool.self, forKey: key) {
                values[key.stringValue] = String(flag)
            }
        }
        self.values = values
        expiration = try Self.numericDate(Key(stringValue: "exp"), in: container)
        notBefore = try Self.numericDate(Key(stringValue: "nbf"), in: container)
    }

    /// A time claim, if present, is a NumericDate: a finite JSON number. A string, boolean, null
    /// or malformed number refuses the token (before, `"exp": "never"` passed as a token without
    /// expiry and a malformed `nbf` was ignored; found by the fuzz target `age-token`).
    private static func numericDate(_ key: Key, in container: KeyedDecodingContainer<Key>) throws -> Date? {
        guard container.contains(key) else { return nil }
        let seconds = try container.decode(Double.self, forKey: key)
        guard seconds.isFinite else { throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a NumericDate") }
        return Date(timeIntervalSince1970: seconds)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in values { try container.encode(value, forKey: Key(stringValue: name)) }
    }

    /// An expired or not-yet-valid token is refused like a forged one (the key part is missing).
    func verify(using algorithm: some JWTAlgorithm) async throws {
        let now = Date()
        if let expiration { try ExpirationClaim(value: expiration).verifyNotExpired(currentDate: now) }
        if let notBefore { try NotBeforeClaim(value: notBefore).verifyNotBefore(currentDate: now) }
    }
}
