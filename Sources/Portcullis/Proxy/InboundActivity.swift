import NIOCore

/// Notes that bytes arrived, ahead of the HTTP decoder, so the header-read timer can tell a
/// slowly dribbled head (slowloris: closed after `header_read`) from an idle keep-alive connection.
final class InboundActivity: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    var bytesSinceHead = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesSinceHead = true
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension InboundActivity: Sendable {}
