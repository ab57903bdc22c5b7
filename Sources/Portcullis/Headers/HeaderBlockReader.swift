/// Reads the keys of a header block: `set`, `default`, `remove`, `cookies`, `csp_report_only`
/// and (in rules) `keep`. A header name may appear once per block across set, default,
/// csp_report_only, remove and keep.
struct HeaderBlockReader {
    static let blockKeys = ["set", "default", "remove", "cookies", "csp_report_only"]
    static let ruleOnlyKeys = ["keep"]
    static let cookieKeys = ["secure", "http_only", "same_site", "except"]
    static let reportOnlyName = "Content-Security-Policy-Report-Only"

    private var block: HeaderBlock
    /// Lowercased name → where it was first written, and under which key.
    private var seen: [String: (key: String, location: SourceLocation)] = [:]

    private init(location: SourceLocation) {
        block = HeaderBlock(location: location)
    }

    /// - Parameter fields: the block's mapping, already checked for unknown keys.
    static func read(_ fields: [String: YAMLValue], at location: SourceLocation) -> HeaderBlock {
        var reader = HeaderBlockReader(location: location)
        if let value = fields["set"] { reader.block.set = reader.readFields(value, key: "set") }
        if let value = fields["default"] { reader.block.defaults = reader.readFields(value, key: "default") }
        if let value = fields["csp_report_only"], let text = value.string() {
            if let problem = HeaderFieldSyntax.valueProblem(text, header: reportOnlyName) {
                value.report("\(value.path): \(problem)")
            } else if reader.claim(reportOnlyName, key: "csp_report_only", at: value, in: value.path) {
                reader.block.set.append(HeaderBlock.Field(field: HeaderField(name: reportOnlyName, value: text), location: value.location))
            }
        }
        if let value = fields["remove"] { reader.block.remove = reader.readNames(value, key: "remove") }
        if let value = fields["keep"] { reader.block.keep = reader.readNames(value, key: "keep") }
        if let value = fields["cookies"] { reader.block.cookies = readCookies(value) }
        return reader.block
    }

    private mutating func readFields(_ value: YAMLValue, key: String) -> [HeaderBlock.Field] {
        guard let entries = value.keyedEntries(expecting: "header names to values, like { X-Content-Type-Options: nosniff }") else { return [] }
        var result: [HeaderBlock.Field] = []
        for (name, keyValue, entryValue) in entries {
            guard checkName(name, key: key, at: keyValue, in: value.path, settable: true) else { continue }
            guard entryValue.isScalar else {
                entryValue.report("\(value.path): header '\(name)' must have a string value; found \(entryValue.kindDescription)")
                continue
            }
            guard let text = entryValue.string() else { continue }
            if let problem = HeaderFieldSyntax.valueProblem(text, header: name) {
                entryValue.report("\(value.path): \(problem)")
                continue
            }
            if name.lowercased() == StrictTransportSecurity.lowercasedName, let problem = StrictTransportSecurity.problem(in: text) {
                entryValue.report("\(value.path): \(problem)")
                continue
            }
            guard claim(name, key: key, at: keyValue, in: value.path) else { continue }
            result.append(HeaderBlock.Field(field: HeaderField(name: name, value: text), location: keyValue.location))
        }
        return result
    }

    private mutating func readNames(_ value: YAMLValue, key: String) -> [HeaderBlock.Name] {
        guard let items = value.stringItems() else { return [] }
        var result: [HeaderBlock.Name] = []
        for (name, item) in items {
            guard checkName(name, key: key, at: item, in: value.path, settable: false), claim(name, key: key, at: item, in: value.path) else { continue }
            result.append(HeaderBlock.Name(name: name, lowercased: name.lowercased(), location: item.location))
        }
        return result
    }

    private func checkName(_ name: String, key: String, at value: YAMLValue, in path: String, settable: Bool) -> Bool {
        if let problem = HeaderFieldSyntax.nameProblem(name) {
            value.report("\(path): \(problem)")
            return false
        }
        if HeaderFieldSyntax.isManagedByGateway(name) {
            value.report("\(path): '\(name)' frames the message or describes the connection, so the gateway manages it; expected a header of the response's content")
            return false
        }
        if settable, name.lowercased() == "set-cookie" {
            value.report("\(path): 'Set-Cookie' cannot be \(key == "set" ? "set" : "defaulted") by a policy; expected cookies: to harden the application's cookies")
            return false
        }
        if name.lowercased() == Self.reportOnlyName.lowercased(), key == "set" || key == "default" {
            value.report("\(path): '\(name)' is written with csp_report_only; expected csp_report_only: \"…\" instead")
            return false
        }
        return true
    }

    /// Records the first use of a header name in this block; a second is reported.
    private mutating func claim(_ name: String, key: String, at value: YAMLValue, in path: String) -> Bool {
        let lowered = name.lowercased()
        if let first = seen[lowered] {
            let firstWhere = first.key == key ? "\(key) at line \(first.location.line)" : "\(first.key) (line \(first.location.line))"
            value.report("\(path): header '\(name)' is already in \(firstWhere); expected each header once per block across set, default, csp_report_only, remove and keep (names are case-insensitive)")
            return false
        }
        seen[lowered] = (key, value.location)
        return true
    }

    private static func readCookies(_ value: YAMLValue) -> HeaderBlock.Cookies? {
        if value.isScalar {
            let text = value.string()?.lowercased() ?? ""
            if ["false", "no", "off"].contains(text) {
                return HeaderBlock.Cookies(enabled: false, location: value.location, path: value.path)
            }
            value.report("\(value.path) must be a mapping with keys \(cookieKeys.joined(separator: ", ")), or false for no hardening; found \(value.kindDescription)")
            return nil
        }
        guard let fields = value.mapping(allowed: cookieKeys) else { return nil }
        var cookies = HeaderBlock.Cookies(location: value.location, path: value.path)
        if let v = fields["secure"] {
            cookies.secure = v.bool()
            cookies.secureLocation = v.location
        }
        if let v = fields["http_only"] { cookies.httpOnly = v.bool() }
        if let v = fields["same_site"], let text = v.string() {
            if let sameSite = SameSite(policyText: text) {
                cookies.sameSite = sameSite
                cookies.sameSiteLocation = v.location
            } else {
                var message = "\(v.path) must be one of Strict, Lax, None; found '\(text)'"
                if let suggestion = Spelling.closest(to: text, among: SameSite.allCases.map(\.rawValue)) { message += "; did you mean '\(suggestion)'?" }
                v.report(message)
            }
        }
        if let v = fields["except"], let items = v.stringItems() {
            var names: [String] = []
            for (name, item) in items {
                if name.isEmpty || !name.utf8.allSatisfy(HeaderFieldSyntax.isTokenByte) {
                    item.report("\(v.path): '\(name)' is not a cookie name; expected letters, digits and !#$%&'*+-.^_`|~ only (RFC 6265 token)")
                } else {
                    names.append(name)
                }
            }
            cookies.except = names
        }
        return cookies
    }
}
