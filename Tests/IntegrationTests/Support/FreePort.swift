import NIOCore
import NIOPosix

/// A loopback port nobody listens on right now. Chosen below the kernel's ephemeral range
/// (32768–60999 by default), where the tests' many outgoing connections take their local ports:
/// a port from port 0 could be taken by one of them before the server under test binds it.
enum FreePort {
    static func next() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_768)
            if isFree(port) { return port }
        }
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
