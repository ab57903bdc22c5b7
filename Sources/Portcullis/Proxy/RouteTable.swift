/// The routes in config order; the first that matches host and path prefix wins.
public final class RouteTable: Sendable {
    public let routes: [Route]

    init(routes: [Route]) {
        self.routes = routes
    }

    func match(host: String, target: String) -> Route? {
        for route in routes where route.matches(host: host, target: target) { return route }
        return nil
    }
}
