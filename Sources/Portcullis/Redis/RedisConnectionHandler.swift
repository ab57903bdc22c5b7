import NIOCore

/// One Redis connection's protocol: commands go out as the bytes hiredis encoded, replies come
/// back in order and complete the oldest waiting promise (pipelining: many commands may be in
/// flight on one connection). Writes are flushed once per event-loop tick, so the commands of
/// many requests handled in one tick leave in one write.
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Command
    typealias OutboundOut = ByteBuffer

    /// An encoded command and who waits for its reply.
    struct Command {
        var bytes: ByteBuffer
        var promise: EventLoopPromise<RedisReply>
    }

    private let decoder = RedisReplyDecoder()
    private var waiting = CircularBuffer<EventLoopPromise<RedisReply>>(initialCapacity: 16)
    private var flushScheduled = false
    private var closed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        guard !closed else {
            command.promise.fail(RedisError.connectionClosed)
            promise?.fail(RedisError.connectionClosed)
            return
        }
        waiting.append(command.promise)
        context.write(wrapOutboundOut(command.bytes), promise: promise)
        if !flushScheduled {
            flushScheduled = true
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.flushScheduled = false
                context.flush()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try decoder.feed(unwrapInboundIn(data))
            while let reply = try decoder.next() {
                guard let promise = waiting.popFirst() else {
                    throw RedisReplyDecoder.ProtocolError(description: "Redis sent a reply nobody asked for")
                }
                promise.succeed(reply)
            }
        } catch {
            failAll(RedisError(.error, "Redis protocol error: \(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(RedisError(.error, "Redis connection error: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        closed = true
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

@available(*, unavailable)
extension RedisConnectionHandler: Sendable {}
