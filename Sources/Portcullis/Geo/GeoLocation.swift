/// Where an address is, as the database says: an ISO 3166-1 country code and, in City-layout
/// databases, the first subdivision in ISO 3166-2 form (`US-TX`). Both are short enough to be
/// stored inline in a `String`, so a lookup allocates nothing.
public struct GeoLocation: Sendable, Hashable {
    public var country: String
    public var subdivision: String?

    public init(country: String, subdivision: String? = nil) {
        self.country = country
        self.subdivision = subdivision
    }
}

/// What a lookup found.
public enum GeoLookup: Sendable, Equatable {
    case found(GeoLocation)
    /// The database has no country for the address.
    case notFound
    /// Loopback, private, link-local or unique-local: never in a database, never looked up.
    case privateAddress
    /// No database is loaded.
    case noDatabase

    public var location: GeoLocation? {
        if case .found(let location) = self { return location }
        return nil
    }

    /// For metrics: `found`, `not_found`, `private`, `no_database`.
    public var label: String {
        switch self {
        case .found: return "found"
        case .notFound: return "not_found"
        case .privateAddress: return "private"
        case .noDatabase: return "no_database"
        }
    }

    static let labels = ["found", "not_found", "private", "no_database"]

    var index: Int {
        switch self {
        case .found: return 0
        case .notFound: return 1
        case .privateAddress: return 2
        case .noDatabase: return 3
        }
    }
}
