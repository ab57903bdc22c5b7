/// Reads the `cors:` sections of every policy file (each a list of rules, in file order) and
/// compiles them, reporting every problem into the shared collector.
final class CORSBuilder {
    static let ruleKeys = ["allow_origins", "allow_methods", "allow_headers", "expose_headers", "allow_credentials", "max_age"]
    /// What a preflight allows when a rule does not say: the methods a plain HTML form can send anyway.
    static let defaultMethods = ["GET", "HEAD", "POST"]
    /// Browsers cap the preflight cache (Firefox at 24 h, Chromium at 2 h); more is never used.
    static let maxAgeLimit = 86_400

    private let context: PolicyReadContext
    private var rules = PolicyRuleList<CORSRule>()

    init(context: PolicyReadContext) {
        self.context = context
    }

    /// Reads one file's `cors:` section.
    func add(_ section: YAMLValue) {
        guard let items = section.sequence() else { return }
        for item in items {
            let read = PolicyRuleReader.read(item, kindKeys: Self.ruleKeys, context: context) { fields in
                (body: Self.readBody(fields), hasOrigins: fields["allow_origins"] != nil)
            }
            guard let read else { continue }
            if !read.body.hasOrigins {
                context.collector.report(item.location, "rule '\(read.common.name)': \(item.path) has no allow_origins; expected the origins that may call these routes, like [https://app.example]")
            }
            guard let body = read.body.body else { continue }
            let rule = CORSRule(
                common: read.common, origins: body.origins, methods: body.methods, headers: body.headers,
                exposeHeaders: body.expose, allowCredentials: body.credentials, maxAge: body.maxAge
            )
            rules.append(rule, isComparable: read.isComparable)
        }
    }

    func build() -> CORSPolicy {
        CORSPolicy(rules: rules.checked(into: context.collector))
    }

    private struct Body {
        var origins = CORSOrigins()
        var methods = CORSBuilder.defaultMethods
        var headers: [String] = []
        var expose: [String] = []
        var credentials = false
        var maxAge: Int?
    }

    /// nil when something is wrong (reported already) or allow_origins is missing (reported by the caller).
    private static func readBody(_ fields: [String: YAMLValue]) -> Body? {
        var body = Body()
        var ok = fields["allow_origins"] != nil
        if let value = fields["allow_origins"] {
            if let origins = readOrigins(value) { body.origins = origins } else { ok = false }
        }
        if let value = fields["allow_methods"] {
            if let items = value.stringItems() {
                var methods: [String] = []
                for (text, item) in items {
                    if PolicyMethods.known.contains(text) {
                        if !methods.contains(text) { methods.append(text) }
                    } else {
                        var message = "\(value.path) names the unknown method '\(text)'"
                        if let suggestion = Spelling.closest(to: text, among: PolicyMethods.known) { message += "; did you mean '\(suggestion)'?" } else { message += "; expected methods like GET, POST, PUT, DELETE" }
                        item.report(message)
                        ok = false
                    }
                }
                body.methods = methods
            } else {
                ok = false
            }
        }
        for (key, path) in [("allow_headers", \Body.headers), ("expose_headers", \Body.expose)] {
            guard let value = fields[key] else { continue }
            guard let items = value.stringItems() else { ok = false; continue }
            for (text, item) in items {
                if let problem = HeaderFieldSyntax.nameProblem(text) {
                    item.report("\(value.path): \(problem)")
                    ok = false
                } else if text == "*" {
                    item.report("\(value.path): '*' is not supported; expected the header names themselves")
                    ok = false
                } else {
                    body[keyPath: path].append(text)
                }
            }
        }
        if let value = fields["allow_credentials"] {
            if let flag = value.bool() { body.credentials = flag } else { ok = false }
        }
        if let value = fields["max_age"] {
            if let nanos = value.durationNanoseconds(atLeast: 1_000_000_000) {
                let seconds = Int(nanos / 1_000_000_000)
                if seconds > maxAgeLimit {
                    value.report("\(value.path) is '\(value.string() ?? "")'; expected at most 24h (browsers ignore more)")
                    ok = false
                } else {
                    body.maxAge = seconds
                }
            } else {
                ok = false
            }
        }
        if body.origins.any, body.credentials, let value = fields["allow_credentials"] {
            value.report("\(value.path) is true with allow_origins '*'; expected a list of origins with credentials (browsers refuse '*' with credentials, and echoing any origin would let every site act as the user)")
            ok = false
        }
        return ok ? body : nil
    }

    private static func readOrigins(_ value: YAMLValue) -> CORSOrigins? {
        guard let items = value.stringItems() else { return nil }
        if items.isEmpty {
            value.report("\(value.path) is empty; expected at least one origin, like https://app.example")
            return nil
        }
        var origins = CORSOrigins()
        var ok = true
        for (text, item) in items {
            if text == "*" {
                origins.any = true
                continue
            }
            if text.lowercased() == "null" {
                item.report("\(value.path): 'null' is the origin of sandboxed frames, local files and redirects, which any site can produce; expected real origins like https://app.example")
                ok = false
                continue
            }
            if let star = text.range(of: "://*.") {
                let scheme = String(text[..<star.lowerBound]).lowercased()
                let rest = "x." + text[star.upperBound...]
                if scheme == "http" || scheme == "https", let parsed = CORSOrigins.normalize("\(scheme)://\(rest)") {
                    origins.wildcards.append(.init(schemePrefix: scheme + "://", hostSuffix: String(parsed.host.dropFirst(1)), port: parsed.port))
                    continue
                }
            }
            guard let parsed = CORSOrigins.normalize(text) else {
                var message = "\(value.path): '\(text)' is not an origin; expected scheme://host[:port] with http or https and nothing after, like https://app.example"
                if text.hasSuffix("/"), CORSOrigins.normalize(String(text.dropLast())) != nil { message += " (without the trailing '/')" }
                item.report(message)
                ok = false
                continue
            }
            origins.exact.insert(parsed.text)
        }
        return ok ? origins : nil
    }
}
