import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An upstream that records every byte it receives and answers each request head with `200 ok`:
/// the witness that a refused request never reached the application.
final class RecordingUpstream: Sendable {
    let channel: Channel
    private let received: NIOLockedValueBox<[UInt8]>

    var port: Int { channel.localAddress!.port! }
    var receivedBytes: [UInt8] { received.withLockedValue { $0 } }
    var receivedText: String { String(decoding: receivedBytes, as: UTF8.self) }

    private init(channel: Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    /// - Parameters:
    ///   - delay: how long to wait before answering a request (a slow application).
    ///   - slowPath: only requests whose request line contains this are delayed (all when nil).
    static func start(delay: TimeAmount = .zero, slowPath: String? = nil) async throws -> RecordingUpstream {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(received: received, delay: delay, slowPath: slowPath))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RecordingUpstream(channel: channel, received: received)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class RecordingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let received: NIOLockedValueBox<[UInt8]>
    let delay: TimeAmount
    let slowPath: String?
    var pending: [UInt8] = []

    init(received: NIOLockedValueBox<[UInt8]>, delay: TimeAmount, slowPath: String?) {
        self.received = received
        self.delay = delay
        self.slowPath = slowPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        received.withLockedValue { $0.append(contentsOf: bytes) }
        pending.append(contentsOf: bytes)
        // Answer once per complete head; bodies in these tests are empty or ignored.
        while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
            let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            let delay = slowPath.map { head.contains($0) } ?? true ? self.delay : .zero
            let answer = wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
            if delay == .zero {
                context.writeAndFlush(answer, promise: nil)
            } else {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: delay) { bound.value.writeAndFlush(answer, promise: nil) }
            }
        }
    }
}
