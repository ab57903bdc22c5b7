/// A `match.host` entry: an exact host name, or `*.example.com` for every subdomain of
/// example.com (not example.com itself), compared with the request's host lowercased and without port.
public enum HostPattern: Sendable, Hashable, CustomStringConvertible {
    case exact(String)
    /// The suffix including its leading dot: `.example.com`.
    case subdomains(of: String)

    /// Parses an entry as written; nil when it is not a host name or `*.domain`.
    init?(_ text: String) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("*.") {
            let domain = lowered.dropFirst(2)
            guard HostPattern.isHostName(domain) else { return nil }
            self = .subdomains(of: "." + domain)
        } else {
            guard HostPattern.isHostName(lowered[...]) || HostPattern.isBracketedIPv6(lowered) else { return nil }
            self = .exact(lowered)
        }
    }

    public func matches(_ host: String) -> Bool {
        switch self {
        case .exact(let name): return host == name
        case .subdomains(let suffix): return host.utf8.count > suffix.utf8.count && host.hasSuffix(suffix)
        }
    }

    /// Whether every host this pattern matches is also matched by `other`.
    func isCovered(by other: HostPattern) -> Bool {
        switch (self, other) {
        case (.exact(let name), _): return other.matches(name)
        case (.subdomains(let mine), .subdomains(let theirs)): return mine == theirs || mine.hasSuffix(theirs)
        case (.subdomains, .exact): return false
        }
    }

    public var description: String {
        switch self {
        case .exact(let name): return name
        case .subdomains(let suffix): return "*" + suffix
        }
    }

    /// Letters, digits, '-', '_' and '.', not starting or ending with a dot, no empty label.
    private static func isHostName(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.first != ".", text.last != ".", !text.contains("..") else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E || byte == 0x5F
        }
    }

    private static func isBracketedIPv6(_ text: String) -> Bool {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.count > 2 else { return false }
        return IPAddress(text.dropFirst().dropLast()) != nil
    }
}
