import NIOHTTP1

/// A rule's `match`: every condition written must hold; an empty match matches every request.
public struct PolicyMatch: Sendable, Equatable, CustomStringConvertible {
    /// Any of these hosts; empty: any host.
    public var hosts: [HostPattern]
    /// nil: any path.
    public var path: PathPattern?
    /// Any of these methods; empty: any method.
    public var methods: [HTTPMethod]

    public init(hosts: [HostPattern] = [], path: PathPattern? = nil, methods: [HTTPMethod] = []) {
        self.hosts = hosts
        self.path = path
        self.methods = methods
    }

    /// - Parameters:
    ///   - host: the request's host, lowercased and without port (as routing uses it).
    ///   - path: the request target before any `?`.
    @inline(__always)
    public func matches(host: String, path requestPath: Substring, method: HTTPMethod) -> Bool {
        if let path, !path.matches(requestPath) { return false }
        if !methods.isEmpty, !methods.contains(method) { return false }
        if !hosts.isEmpty {
            for pattern in hosts where pattern.matches(host) { return true }
            return false
        }
        return true
    }

    /// Whether every request this match accepts is also accepted by `other`, so a rule with
    /// `self` after a rule with `other` can never be reached. Conservative: false when unsure.
    func isCovered(by other: PolicyMatch) -> Bool {
        if !other.hosts.isEmpty {
            guard !hosts.isEmpty else { return false }
            for mine in hosts where !other.hosts.contains(where: { mine.isCovered(by: $0) }) { return false }
        }
        if let theirs = other.path {
            guard let mine = path, mine.isCovered(by: theirs) else { return false }
        }
        if !other.methods.isEmpty {
            guard !methods.isEmpty else { return false }
            for method in methods where !other.methods.contains(method) { return false }
        }
        return true
    }

    /// The match as a flow mapping, the way it could be written in a policy file.
    public var description: String {
        var parts: [String] = []
        if !hosts.isEmpty { parts.append(hosts.count == 1 ? "host: \(hosts[0])" : "host: [\(hosts.map(\.description).joined(separator: ", "))]") }
        if let path { parts.append(path.description) }
        if !methods.isEmpty { parts.append("methods: [\(methods.map(\.rawValue).joined(separator: ", "))]") }
        return "{ " + parts.joined(separator: ", ") + (parts.isEmpty ? "}" : " }")
    }
}
