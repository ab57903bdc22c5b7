import NIOCore
import NIOPosix

/// A loopback port nobody listens on right now (bound to port 0 and released).
enum FreePort {
    static func next() throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }

    /// Whether `port` can be bound on 127.0.0.1 now.
    static func isFree(_ port: Int) -> Bool {
        guard let channel = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port).wait() else { return false }
        try? channel.close().wait()
        return true
    }
}
