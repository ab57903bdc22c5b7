/// The compiled `geo:` rules in file order: the first enforcing rule that matches a request
/// decides; shadow rules matched before it are evaluated and logged, never enforced.
public final class GeoPolicy: Sendable {
    public let rules: [GeoRule]

    public init(rules: [GeoRule]) {
        self.rules = rules
    }

    public static let empty = GeoPolicy(rules: [])
}
