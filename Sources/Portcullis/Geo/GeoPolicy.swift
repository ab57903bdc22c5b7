import NIOHTTP1

/// The compiled `geo:` rules in file order: the first enforcing rule that matches a request
/// decides; shadow rules matched before it are evaluated and logged, never enforced.
public final class GeoPolicy: Sendable {
    public let rules: [GeoRule]

    public init(rules: [GeoRule]) {
        self.rules = rules
    }

    public static let empty = GeoPolicy(rules: [])

    @inline(__always)
    func nextMatch(from start: Int, host: String, path: Substring, method: HTTPMethod) -> Int? {
        var index = start
        while index < rules.count {
            if rules[index].match.matches(host: host, path: path, method: method) { return index }
            index += 1
        }
        return nil
    }
}
