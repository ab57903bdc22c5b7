import Foundation
import JWTKit

/// The claims of a bearer token used as a rate-limit key: every top-level claim that is a
/// string, number or boolean, as text (`"sub": "u-42"` → `u-42`, `"tenant": 7` → `7`), and the
/// time claims checked after the signature (`exp`, `nbf`).
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
        expiration = values["exp"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
        notBefore = values["nbf"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
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
