/// The top-level sections of a policy file, one per kind of rule.
public enum PolicyKind: String, Sendable, CaseIterable {
    case headers
    case cors
    case rateLimits = "rate_limits"
    case uploads
    case geo

    /// Kinds this version reads; the others are reserved names, reported as not supported yet.
    public static let supported: [PolicyKind] = [.headers, .cors, .rateLimits, .geo]

    public var isSupported: Bool { PolicyKind.supported.contains(self) }
}
