import NIOCore
import NIOPosix

/// Sends raw bytes and collects everything that comes back until the peer closes (or a timeout):
/// for requests no well-behaved client library would send.
enum RawConnection {
    struct Result {
        var text: String
        /// True when the peer closed the connection (as opposed to the timeout ending the wait).
        var closedByPeer: Bool

        var statusCode: Int? {
            let line = text.split(separator: "\r\n", maxSplits: 1).first ?? ""
            let parts = line.split(separator: " ")
            return parts.count >= 2 ? Int(parts[1]) : nil
        }

        var body: String {
            guard let range = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[range.upperBound...])
        }
    }

    /// - Parameter pauses: optional delays between the given chunks (for dribbled input).
    static func exchange(port: Int, chunks: [String], pause: TimeAmount = .zero, timeout: TimeAmount = .seconds(5), until: (@Sendable (String) -> Bool)? = nil) async throws -> Result {
        try await exchange(port: port, byteChunks: chunks.map { Array($0.utf8) }, pause: pause, timeout: timeout, until: until)
    }

    /// - Parameter until: stop collecting as soon as what was received satisfies it (for
    ///   connections that stay open, like a WebSocket tunnel).
    static func exchange(port: Int, byteChunks chunks: [[UInt8]], pause: TimeAmount = .zero, timeout: TimeAmount = .seconds(5), until: (@Sendable (String) -> Bool)? = nil) async throws -> Result {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Result.self)
        let collector = RawCollector(promise: promise, until: until)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            collector.finish(closedByPeer: true)
            throw error
        }
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            collector.finish(closedByPeer: false)
        }
        for (index, chunk) in chunks.enumerated() {
            if index > 0, pause > .zero { try await Task.sleep(nanoseconds: UInt64(pause.nanoseconds)) }
            // A peer that closed (a slowloris cut off) gets no more.
            if !channel.isActive { break }
            try? await channel.writeAndFlush(ByteBuffer(bytes: chunk))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }

    static func exchange(port: Int, _ request: String, timeout: TimeAmount = .seconds(5)) async throws -> Result {
        try await exchange(port: port, chunks: [request], timeout: timeout)
    }
}

private final class RawCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<RawConnection.Result>
    let until: (@Sendable (String) -> Bool)?
    var received = ""
    var done = false

    init(promise: EventLoopPromise<RawConnection.Result>, until: (@Sendable (String) -> Bool)?) {
        self.promise = promise
        self.until = until
    }

    func finish(closedByPeer: Bool) {
        guard !done else { return }
        done = true
        promise.succeed(.init(text: received, closedByPeer: closedByPeer))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Latin-1 keeps every byte visible (binary WebSocket framing included).
        received += String(unwrapInboundIn(data).readableBytesView.map { Character(Unicode.Scalar($0)) })
        if let until, until(received) { finish(closedByPeer: false) }
    }

    func channelInactive(context: ChannelHandlerContext) { finish(closedByPeer: true) }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(closedByPeer: true)
        context.close(promise: nil)
    }
}
