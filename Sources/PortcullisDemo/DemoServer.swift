import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The demo upstream application: a plain SwiftNIO HTTP/1.1 server.
///
/// `make run` puts it behind the gateway; integration tests start it in process
/// as the upstream and `stop()` it to simulate an upstream dying mid-flight.
public final class DemoServer: Sendable {
    public struct Configuration: Sendable {
        /// Address to bind.
        public var host: String
        /// Port to bind; 0 picks an ephemeral port (see `localPort`).
        public var port: Int
        /// Sent back in every response's `X-Demo-Instance` header, to tell instances apart behind a load balancer.
        public var name: String

        public init(host: String = "127.0.0.1", port: Int = 3000, name: String = "demo") {
            self.host = host
            self.port = port
            self.name = name
        }
    }

    public let configuration: Configuration
    /// The port actually bound (useful with `port: 0`).
    public let localPort: Int

    private let serverChannel: Channel
    private let connections: DemoConnectionRegistry

    /// Largest WebSocket frame accepted from clients; NIO's default of 16 KiB is small for tests.
    static let maxWebSocketFrameSize = 1 << 20

    private init(configuration: Configuration, serverChannel: Channel, connections: DemoConnectionRegistry) {
        self.configuration = configuration
        self.serverChannel = serverChannel
        self.connections = connections
        self.localPort = serverChannel.localAddress?.port ?? configuration.port
    }

    /// Binds and starts serving; returns once the socket is listening.
    public static func start(configuration: Configuration = Configuration(), group: EventLoopGroup) async throws -> DemoServer {
        let connections = DemoConnectionRegistry()
        let name = configuration.name

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                guard connections.register(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try DemoServer.configureConnection(channel, instanceName: name)
                }
            }

        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        return DemoServer(configuration: configuration, serverChannel: channel, connections: connections)
    }

    /// Closes the listening socket and every open connection, in-flight responses included.
    ///
    /// Calling it again is harmless.
    public func stop() async throws {
        do {
            try await self.serverChannel.close()
        } catch ChannelError.alreadyClosed {
            // Already stopped.
        }
        let open = self.connections.closeRegistrations()
        for channel in open {
            channel.close(promise: nil)
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }

    /// HTTP/1.1 with pipelining assistance and protocol-error handling, plus the WebSocket upgrade for `/ws`.
    private static func configureConnection(_ channel: Channel, instanceName: String) throws {
        let httpHandler = DemoHTTPHandler(instanceName: instanceName)
        let boundHTTPHandler = NIOLoopBound(httpHandler, eventLoop: channel.eventLoop)

        let webSocket = NIOWebSocketServerUpgrader(
            maxFrameSize: DemoServer.maxWebSocketFrameSize,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // Refusing (nil) hands the request to DemoHTTPHandler, which answers it as plain HTTP.
                guard DemoRequestTarget(uri: head.uri).path == "/ws" else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                var headers = HTTPHeaders()
                headers.add(name: "X-Demo-Instance", value: instanceName)
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                }
            }
        )

        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: (
                upgraders: [webSocket],
                completionHandler: { context in
                    // The connection now speaks WebSocket: the HTTP handler has nothing left to do.
                    context.pipeline.syncOperations.removeHandler(boundHTTPHandler.value, promise: nil)
                }
            ),
            withErrorHandling: true
        )
        try channel.pipeline.syncOperations.addHandler(httpHandler)
    }
}

extension DemoServer {
    /// What the `portcullis-demo` executable does: serves on its own event loop group until
    /// SIGINT or SIGTERM, then stops the server and shuts the group down.
    ///
    /// - Parameter onListening: Called once the socket is listening (the executable prints its banner there).
    public static func runUntilTerminated(
        configuration: Configuration,
        onListening: (DemoServer) -> Void
    ) async throws {
        let signals = DemoSignalWaiter()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        do {
            let server = try await DemoServer.start(configuration: configuration, group: group)
            onListening(server)
            _ = await signals.wait()
            try await server.stop()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
