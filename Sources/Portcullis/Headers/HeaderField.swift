/// A header a policy writes: the name as written (sent on the wire), its lowercase form for
/// comparisons, and the value.
public struct HeaderField: Sendable, Hashable {
    public let name: String
    public let lowercasedName: String
    public let value: String
    /// `Strict-Transport-Security`: applied to TLS responses only.
    public let isTLSOnly: Bool

    public init(name: String, value: String) {
        // The same text; a literal when a well-known one matches (no reference counting per response).
        self.name = HeaderLiterals.intern(name)
        self.lowercasedName = name.lowercased()
        self.value = HeaderLiterals.intern(value)
        self.isTLSOnly = lowercasedName == StrictTransportSecurity.lowercasedName
    }
}
