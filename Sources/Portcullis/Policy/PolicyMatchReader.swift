import NIOHTTP1

/// Reads a rule's `match` mapping: `host`, one of `path` / `path_prefix` / `path_glob`, `methods`.
enum PolicyMatchReader {
    static let keys = ["host", "path", "path_prefix", "path_glob", "methods"]

    static func read(_ value: YAMLValue) -> PolicyMatch? {
        guard let fields = value.mapping(allowed: keys) else { return nil }
        var ok = true
        var match = PolicyMatch()

        if let hostValue = fields["host"], let entries = hostValue.stringItems() {
            if entries.isEmpty { hostValue.report("\(hostValue.path) must name at least one host; leave 'host' out to match any host"); ok = false }
            for (entry, entryValue) in entries {
                if let pattern = HostPattern(entry) {
                    match.hosts.append(pattern)
                } else {
                    entryValue.report("\(hostValue.path) entry '\(entry)' must be a host name without port or path, like example.com, or '*.example.com' for its subdomains")
                    ok = false
                }
            }
        } else if fields["host"] != nil {
            ok = false
        }

        let pathKeys = ["path", "path_prefix", "path_glob"].filter { fields[$0] != nil }
        if pathKeys.count > 1 {
            let second = fields[pathKeys[1]]!
            second.report("\(value.path) has both '\(pathKeys[0])' and '\(pathKeys[1])'; expected at most one of path, path_prefix, path_glob")
            ok = false
        } else if let key = pathKeys.first, let pathValue = fields[key] {
            if let text = pathValue.string() {
                if let problem = pathProblem(text, key: key) {
                    pathValue.report("\(pathValue.path) \(problem); found '\(text)'")
                    ok = false
                } else {
                    switch key {
                    case "path": match.path = .exact(text)
                    case "path_prefix": match.path = .prefix(text)
                    default: match.path = .glob(PathGlob(text))
                    }
                }
            } else {
                ok = false
            }
        }

        if let methodsValue = fields["methods"], let names = methodsValue.stringItems() {
            if names.isEmpty { methodsValue.report("\(methodsValue.path) must name at least one method; leave 'methods' out to match any method"); ok = false }
            for (name, nameValue) in names {
                if let method = PolicyMethods.method(named: name) {
                    if !match.methods.contains(method) { match.methods.append(method) }
                } else {
                    var message = "\(methodsValue.path) names the unknown method '\(name)'"
                    if let suggestion = Spelling.closest(to: name, among: PolicyMethods.known) {
                        message += "; did you mean '\(suggestion)'?"
                    } else {
                        message += "; expected HTTP methods in capitals, like GET, POST, PUT, PATCH, DELETE"
                    }
                    nameValue.report(message)
                    ok = false
                }
            }
        } else if fields["methods"] != nil {
            ok = false
        }
        return ok ? match : nil
    }

    private static func pathProblem(_ text: String, key: String) -> String? {
        guard text.hasPrefix("/") else { return "must start with '/'" }
        if text.contains("?") || text.contains("#") { return "must not contain '?' or '#': rules match the path, not the query string" }
        if text.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) { return "must not contain spaces, control or non-ASCII characters (percent-encode them as the client sends them)" }
        if key == "path_glob" { return PathGlob.problem(in: text) }
        if text.contains("*") { return "contains '*', which \(key) compares literally; use path_glob for wildcards" }
        return nil
    }
}
