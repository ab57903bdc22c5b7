import Synchronization

/// One compiled `geo:` rule: where it applies, which locations are restricted (a deny-list of
/// countries and subdivisions, or everything outside an allow-list of countries), and what a
/// restricted or unknown location gets.
public final class GeoRule: PolicyRule {
    public let common: PolicyRuleCommon
    public let match: PolicyMatch
    public let isShadow: Bool
    /// ISO 3166-1 codes (`GB`) restricted as a whole.
    public let restrictedCountries: Set<String>
    /// ISO 3166-2 codes (`US-TX`) restricted.
    public let restrictedSubdivisions: Set<String>
    /// When set, every country outside it is restricted (and `restricted*` are empty).
    public let allowCountries: Set<String>?
    public let action: GeoAction
    public let unknownLocation: GeoUnknownLocation
    /// Sent as `Link: <url>; rel="blocked-by"` on a 451 (RFC 7725 §3): who asked for the block.
    public let blockedBy: String?
    public let ageToken: GeoAgeToken?
    /// Countries some of whose subdivisions are restricted: a location there without a
    /// subdivision (a Country-layout database) cannot be placed precisely enough.
    private let subdivisionCountries: Set<String>

    public init(common: PolicyRuleCommon, restrictedCountries: Set<String>, restrictedSubdivisions: Set<String>, allowCountries: Set<String>?,
                action: GeoAction, unknownLocation: GeoUnknownLocation, blockedBy: String?, ageToken: GeoAgeToken?) {
        self.common = common
        self.match = common.match
        self.isShadow = common.mode == .shadow
        self.restrictedCountries = restrictedCountries
        self.restrictedSubdivisions = restrictedSubdivisions
        self.allowCountries = allowCountries
        self.action = action
        self.unknownLocation = unknownLocation
        self.blockedBy = blockedBy
        self.ageToken = ageToken
        self.subdivisionCountries = Set(restrictedSubdivisions.compactMap { $0.split(separator: "-").first.map(String.init) })
    }

    public var name: String { common.name }
    public var mode: PolicyMode { common.mode }

    public enum Verdict: Sendable {
        case unrestricted, restricted
        /// In a country with restricted subdivisions, but the database gives none.
        case imprecise
    }

    /// Whether the rule restricts `location`.
    @inline(__always)
    public func verdict(for location: GeoLocation) -> Verdict {
        if let allowCountries { return allowCountries.contains(location.country) ? .unrestricted : .restricted }
        if restrictedCountries.contains(location.country) { return .restricted }
        guard !restrictedSubdivisions.isEmpty, subdivisionCountries.contains(location.country) else { return .unrestricted }
        guard let subdivision = location.subdivision else { return .imprecise }
        return restrictedSubdivisions.contains(subdivision) ? .restricted : .unrestricted
    }

    /// The locations as written, for reports: `GB, US-TX` or `allow CH, DE`.
    public var locationsDescription: String {
        if let allowCountries { return "allow " + allowCountries.sorted().joined(separator: ", ") }
        return (restrictedCountries.sorted() + restrictedSubdivisions.sorted()).joined(separator: ", ")
    }
}
