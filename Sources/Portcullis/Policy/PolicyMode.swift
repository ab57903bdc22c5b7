/// Whether a rule acts or only reports what it would have done.
public enum PolicyMode: String, Sendable, CaseIterable {
    /// The rule takes effect (the default).
    case enforce
    /// The rule is matched, counted and logged, but never changes a request or a response;
    /// matching goes on to the next rule as if it were absent.
    case shadow
}
