/// The top-level sections of a policy file, one per kind of rule.
public enum PolicyKind: String, Sendable, CaseIterable {
    case headers
    case cors
    case rateLimits = "rate_limits"
    case uploads
    case geo
}
