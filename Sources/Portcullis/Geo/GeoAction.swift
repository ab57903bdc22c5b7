/// What a `geo:` rule does to a request from a restricted location.
public enum GeoAction: Sendable, Equatable {
    /// 451 Unavailable For Legal Reasons (RFC 7725).
    case deny
    /// 302 to the URL; `{url}` in it becomes the original URL, percent-encoded.
    case redirect(String)
    /// Let through with a valid age token; without one, redirect to the URL or, when nil, deny.
    case requireAgeToken(elseRedirect: String?)

    /// `deny`, `redirect`, `require_age_token`, for reports.
    public var label: String {
        switch self {
        case .deny: return "deny"
        case .redirect: return "redirect"
        case .requireAgeToken: return "require_age_token"
        }
    }
}

/// What a rule does when the address has no location: not in the database, or a private range.
public enum GeoUnknownLocation: String, Sendable, CaseIterable {
    /// 451, whatever the rule's action (the default: where a client is cannot be shown).
    case deny
    /// Serve it as if unrestricted.
    case allow
    /// Treat it as a restricted location: the rule's action applies (an age token lets it through).
    case restricted
}
