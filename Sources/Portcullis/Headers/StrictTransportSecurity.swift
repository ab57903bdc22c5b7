/// Checks a `Strict-Transport-Security` value (RFC 6797 §6.1) a policy sets.
enum StrictTransportSecurity {
    static let lowercasedName = "strict-transport-security"

    /// Why the value would not work, or nil.
    static func problem(in value: String) -> String? {
        var maxAge: Int?
        var includeSubDomains = false
        var preload = false
        for directive in value.split(separator: ";") {
            let trimmed = directive.trimmingWhitespace()
            let parts = trimmed.split(separator: "=", maxSplits: 1)
            let name = parts.first.map { $0.trimmingWhitespace().lowercased() } ?? ""
            switch name {
            case "max-age":
                var text = parts.count == 2 ? parts[1].trimmingWhitespace() : ""
                if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
                guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let seconds = Int(text) else {
                    return "Strict-Transport-Security has max-age '\(text)'; expected max-age=SECONDS, like max-age=63072000"
                }
                maxAge = seconds
            case "includesubdomains": includeSubDomains = true
            case "preload": preload = true
            default: break
            }
        }
        guard let maxAge else {
            return "Strict-Transport-Security has no max-age directive; expected a value like \"max-age=63072000; includeSubDomains\""
        }
        if preload, !includeSubDomains || maxAge < 31_536_000 {
            return "Strict-Transport-Security has preload without includeSubDomains and max-age of at least 31536000; expected both (hstspreload.org requirements)"
        }
        return nil
    }
}
