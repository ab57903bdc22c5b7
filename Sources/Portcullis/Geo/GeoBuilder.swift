/// Reads the `geo:` sections of every policy file (each a list of rules, in file order) and
/// compiles them, checking every location against ISO 3166-1/3166-2 and reporting every problem
/// into the shared collector.
final class GeoBuilder {
    static let ruleKeys = ["restricted", "allow_countries", "action", "unknown_location", "blocked_by"]
    static let actionKeys = ["deny", "redirect", "require_age_token"]
    static let ageTokenKeys = ["cookie", "header", "claim", "jwt", "else_redirect"]
    static let actionForms = "deny, { redirect: URL }, or { require_age_token: { cookie: NAME, jwt: { … }, else_redirect: URL } }"

    private let context: PolicyReadContext
    private var rules = PolicyRuleList<GeoRule>()

    init(context: PolicyReadContext) {
        self.context = context
    }

    /// Reads one file's `geo:` section.
    func add(_ section: YAMLValue) {
        guard let items = section.sequence() else { return }
        for item in items {
            var missing: [String] = []
            let read = PolicyRuleReader.read(item, kindKeys: Self.ruleKeys, context: context) { fields in
                Self.readBody(fields, missing: &missing)
            }
            guard let read else { continue }
            for problem in missing { context.collector.report(item.location, "rule '\(read.common.name)': \(item.path) \(problem)") }
            guard let body = read.body, missing.isEmpty else { continue }
            let rule = GeoRule(
                common: read.common, restrictedCountries: body.countries, restrictedSubdivisions: body.subdivisions,
                allowCountries: body.allow, action: body.action, unknownLocation: body.unknown, blockedBy: body.blockedBy, ageToken: body.ageToken
            )
            rules.append(rule, isComparable: read.isComparable)
        }
    }

    func build() -> GeoPolicy {
        GeoPolicy(rules: rules.checked(into: context.collector))
    }

    private struct Body {
        var countries: Set<String> = []
        var subdivisions: Set<String> = []
        var allow: Set<String>?
        var action = GeoAction.deny
        var unknown = GeoUnknownLocation.deny
        var blockedBy: String?
        var ageToken: GeoAgeToken?
    }

    /// nil when something is wrong (reported already, in the rule's scope, or added to `missing`
    /// for the caller to report at the rule).
    private static func readBody(_ fields: [String: YAMLValue], missing: inout [String]) -> Body? {
        var body = Body()
        var ok = true
        switch (fields["restricted"], fields["allow_countries"]) {
        case (nil, nil):
            missing.append("needs restricted (ISO 3166-1 countries or 3166-2 subdivisions, like [GB, US-TX]) or allow_countries (an allow-list, like [CH, DE])")
            ok = false
        case (.some, .some(let allow)):
            allow.report("\(allow.path) is set beside restricted; expected one of them: restricted (a deny-list) or allow_countries (an allow-list)")
            ok = false
        case (.some(let value), nil):
            if let codes = readCodes(value, subdivisions: true) {
                body.countries = Set(codes.filter { !$0.contains("-") })
                body.subdivisions = Set(codes.filter { $0.contains("-") })
            } else {
                ok = false
            }
        case (nil, .some(let value)):
            if let codes = readCodes(value, subdivisions: false) { body.allow = Set(codes) } else { ok = false }
        }
        if let value = fields["unknown_location"], let text = value.string() {
            if let parsed = GeoUnknownLocation(rawValue: text) {
                body.unknown = parsed
            } else {
                value.report("\(value.path) must be one of \(GeoUnknownLocation.allCases.map(\.rawValue).joined(separator: ", ")) (restricted: the rule's action applies); found '\(text)'")
                ok = false
            }
        } else if fields["unknown_location"] != nil {
            ok = false
        }
        if let value = fields["blocked_by"] {
            if let url = readURL(value, absolute: true) { body.blockedBy = url } else { ok = false }
        }
        if let value = fields["action"] {
            if let (action, ageToken) = readAction(value) {
                body.action = action
                body.ageToken = ageToken
            } else {
                ok = false
            }
        } else {
            missing.append("has no action; expected action: \(actionForms)")
            ok = false
        }
        return ok ? body : nil
    }

    /// Upper-case ISO codes, each checked; every bad item is reported.
    private static func readCodes(_ value: YAMLValue, subdivisions: Bool) -> [String]? {
        guard let items = value.stringItems() else { return nil }
        if items.isEmpty {
            value.report("\(value.path) must list at least one code")
            return nil
        }
        var codes: [String] = []
        var ok = true
        for (text, item) in items {
            if let problem = codeProblem(text, subdivisions: subdivisions) {
                item.report("\(value.path): \(problem)")
                ok = false
            } else {
                codes.append(text)
            }
        }
        return ok ? codes : nil
    }

    static func codeProblem(_ code: String, subdivisions: Bool) -> String? {
        if code.contains("-") {
            guard subdivisions else { return "'\(code)' is a subdivision; allow_countries takes ISO 3166-1 country codes only, like DE" }
            if ISO3166.isSubdivision(code) { return nil }
            let country = String(code.prefix { $0 != "-" })
            guard ISO3166.isCountry(country) else {
                return "'\(code)' is not an ISO 3166-2 subdivision: '\(country)' is not an ISO 3166-1 country code" + suggestion(country, among: ISO3166.countryCodes)
            }
            var message = "'\(code)' is not an ISO 3166-2 subdivision of \(country)"
            let known = ISO3166.subdivisionCodes(of: country)
            if let close = Spelling.closest(to: code, among: known) { message += "; did you mean '\(close)'?" } else { message += "; expected one like \(known.prefix(3).joined(separator: ", "))" }
            return message
        }
        if ISO3166.isCountry(code) { return nil }
        return "'\(code)' is not an ISO 3166-1 alpha-2 country code" + suggestion(code, among: ISO3166.countryCodes)
    }

    private static func suggestion(_ code: String, among candidates: [String]) -> String {
        if candidates.contains(code.uppercased()) { return "; did you mean '\(code.uppercased())'? (codes are upper case)" }
        return "; expected two upper-case letters like GB, US or DE"
    }

    private static func readURL(_ value: YAMLValue, absolute: Bool) -> String? {
        guard let text = value.string() else { return nil }
        let isAbsolute = text.hasPrefix("https://") || text.hasPrefix("http://")
        let valid = (isAbsolute || (!absolute && text.hasPrefix("/") && !text.hasPrefix("//")))
            && !text.utf8.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") }
        guard valid else {
            value.report("\(value.path) must be \(absolute ? "an absolute http(s) URL" : "an absolute http(s) URL or a path starting with '/'") without spaces; found '\(text)'")
            return nil
        }
        return text
    }

    private static func readAction(_ value: YAMLValue) -> (GeoAction, GeoAgeToken?)? {
        if value.isScalar {
            guard let text = value.string() else { return nil }
            if text == "deny" { return (.deny, nil) }
            value.report("\(value.path) is '\(text)'; expected \(actionForms)")
            return nil
        }
        guard let fields = value.mapping(allowed: actionKeys) else { return nil }
        guard fields.count == 1, let (key, inner) = fields.first else {
            value.report("\(value.path) must have exactly one of \(actionKeys.joined(separator: ", ")); found \(fields.count)")
            return nil
        }
        switch key {
        case "deny":
            return (.deny, nil)
        case "redirect":
            return readURL(inner, absolute: false).map { (.redirect($0), nil) }
        default:
            return readAgeToken(inner)
        }
    }

    private static func readAgeToken(_ value: YAMLValue) -> (GeoAction, GeoAgeToken?)? {
        guard let fields = value.mapping(allowed: ageTokenKeys, required: ["jwt"]) else { return nil }
        var ok = true
        let cookie = fields["cookie"].flatMap { field -> String? in
            guard let name = field.string() else { ok = false; return nil }
            if name.isEmpty || name.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || ";,=\"".utf8.contains($0) }) {
                field.report("\(field.path) must be a cookie name (no spaces, ';', ',', '=' or quotes); found '\(name)'")
                ok = false
                return nil
            }
            return name
        }
        let header = fields["header"].flatMap { field -> String? in
            guard let name = field.string() else { ok = false; return nil }
            if let problem = HeaderFieldSyntax.nameProblem(name) {
                field.report("\(field.path): \(problem)")
                ok = false
                return nil
            }
            return name
        }
        if fields["cookie"] == nil, fields["header"] == nil {
            value.report("\(value.path) needs cookie or header (or both): where the age token is sent")
            ok = false
        }
        var claim = "age_over_18"
        if let field = fields["claim"] {
            if let text = field.string(), !text.isEmpty { claim = text } else { ok = false }
        }
        let elseRedirect = fields["else_redirect"].map { readURL($0, absolute: false) }
        if elseRedirect == .some(nil) { ok = false }
        let key = fields["jwt"].flatMap(RateLimitsBuilder.readJWT)
        guard ok, let key else { return nil }
        let ageToken = GeoAgeToken(cookie: cookie, header: header, claim: claim, key: key)
        return (.requireAgeToken(elseRedirect: elseRedirect ?? nil), ageToken)
    }
}
