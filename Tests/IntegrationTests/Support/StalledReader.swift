import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A client that sends a request and then reads nothing (auto-read off) until asked to drain:
/// the slow reader of a large response.
final class StalledReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let received = NIOLockedValueBox(0)
    private let channel = NIOLockedValueBox<Channel?>(nil)

    static func start(port: Int, request: String) async throws -> StalledReader {
        let reader = StalledReader()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 64 * 1024)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        reader.channel.withLockedValue { $0 = channel }
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return reader
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        received.withLockedValue { $0 += bytes }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Starts reading; returns the bytes received in all and whether the peer closed within `timeout`.
    func drain(timeout: TimeAmount) async throws -> (received: Int, closed: Bool) {
        guard let channel = channel.withLockedValue({ $0 }) else { return (0, false) }
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await channel.closeFuture.get(); return true }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout.nanoseconds))
                try? await channel.close()  // lets the other task, and so the group, end
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        return (received.withLockedValue { $0 }, closed)
    }
}
