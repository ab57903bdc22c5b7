import NIOPosix
import PortcullisDemo

/// Demo applications started in the test process as real upstreams on free loopback ports.
enum Upstreams {
    static func demo(name: String = "demo", port: Int = 0) async throws -> DemoServer {
        try await DemoServer.start(configuration: .init(host: "127.0.0.1", port: port, name: name), group: MultiThreadedEventLoopGroup.singleton)
    }

    /// The config body (everything but listeners and admin) for one upstream group and one route.
    static func config(endpoints: [Int], extra: String = "", upstreamExtra: String = "", routeExtra: String = "") -> String {
        let list = endpoints.map { "127.0.0.1:\($0)" }.joined(separator: ", ")
        return """
            \(extra)
            upstreams:
              app:
                endpoints: [\(list)]
            \(upstreamExtra)
            routes:
              - name: app
                path_prefix: /
                upstream: app
                websocket: true
            \(routeExtra)
            """
    }
}
