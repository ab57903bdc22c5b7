/// ISO 3166-1 country and ISO 3166-2 subdivision codes, for validating `geo:` rules
/// (the table is generated from Debian's iso-codes by scripts/gen-iso3166).
enum ISO3166 {
    /// Country code → its subdivision codes (the part after the hyphen).
    static let table: [String: Set<String>] = {
        var table: [String: Set<String>] = [:]
        for line in ISO3166Codes.table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let country = fields.first else { continue }
            table[String(country)] = Set(fields.dropFirst().map(String.init))
        }
        return table
    }()

    static func isCountry(_ code: String) -> Bool { table[code] != nil }

    /// `US-TX`: a known country and one of its subdivisions.
    static func isSubdivision(_ code: String) -> Bool {
        let parts = code.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let locals = table[String(parts[0])] else { return false }
        return locals.contains(String(parts[1]))
    }

    static var countryCodes: [String] { table.keys.sorted() }

    /// Subdivisions of `country` written in full (`US-TX`), for suggestions.
    static func subdivisionCodes(of country: String) -> [String] {
        (table[country] ?? []).sorted().map { "\(country)-\($0)" }
    }
}
