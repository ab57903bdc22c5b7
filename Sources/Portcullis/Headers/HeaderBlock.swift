/// A header block as written in a policy file (`headers.global`, or one rule's own keys), with
/// positions, before the global block is merged into a rule.
struct HeaderBlock {
    struct Field {
        var field: HeaderField
        var location: SourceLocation
    }

    struct Name {
        var name: String
        var lowercased: String
        var location: SourceLocation
    }

    /// `cookies:` as written: each setting nil when not written (inherited from the global block).
    struct Cookies {
        /// `cookies: false`: no hardening on this route.
        var enabled = true
        var secure: Bool?
        var httpOnly: Bool?
        var sameSite: SameSite?
        var except: [String]?
        var location: SourceLocation
        var sameSiteLocation: SourceLocation?
        var secureLocation: SourceLocation?
        /// The path used in messages (`headers.rules[0].cookies`).
        var path: String
    }

    var set: [Field] = []
    var defaults: [Field] = []
    var remove: [Name] = []
    var keep: [Name] = []
    var cookies: Cookies?
    var location: SourceLocation
}
