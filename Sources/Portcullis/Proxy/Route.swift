/// A compiled route: what to match, where to forward, and the limits that apply. (What the
/// security team decides per request — headers, CORS, limits — comes from the policy snapshot.)
public final class Route: Sendable {
    public let name: String
    /// Position in the config's route list (metrics index their series by it).
    public let index: Int
    public let hosts: [String]
    public let pathPrefix: String
    public let upstream: UpstreamGroup
    public let maxBodyBytes: Int
    public let allowUpgrade: Bool

    init(config: RouteConfig, index: Int = 0, upstream: UpstreamGroup, defaultMaxBody: Int) {
        self.name = config.name
        self.index = index
        self.hosts = config.hosts
        self.pathPrefix = config.pathPrefix
        self.upstream = upstream
        self.maxBodyBytes = config.maxBodyBytes ?? defaultMaxBody
        self.allowUpgrade = config.allowUpgrade
    }

    func matches(host: String, target: String) -> Bool {
        guard target.hasPrefix(pathPrefix) else { return false }
        if hosts.isEmpty { return true }
        for pattern in hosts {
            if pattern == host { return true }
            if pattern.hasPrefix("*."), host.hasSuffix(pattern.dropFirst(1)) { return true }
        }
        return false
    }
}
