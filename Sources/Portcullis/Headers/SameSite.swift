/// The `SameSite` attribute cookie hardening adds (RFC 6265bis §4.1.2.7).
public enum SameSite: String, Sendable, CaseIterable {
    case strict = "Strict"
    case lax = "Lax"
    /// `SameSite=None` (named so it cannot be confused with `Optional.none`). Browsers refuse it
    /// without `Secure`, so a policy must pair it with `secure: true`.
    case noRestriction = "None"

    /// Accepts the canonical spelling in any case (`lax`, `LAX`).
    init?(policyText text: String) {
        guard let match = SameSite.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else { return nil }
        self = match
    }
}
