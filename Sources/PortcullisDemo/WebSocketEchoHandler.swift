import NIOCore
import NIOWebSocket

/// Echoes WebSocket data frames back unchanged, answers pings, and completes the closing handshake.
///
/// Frames are echoed one for one with their opcode and FIN bit, so a fragmented
/// message comes back fragmented the same way. Server frames are never masked.
final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var sentClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)

        switch frame.opcode {
        case .text, .binary, .continuation:
            guard !self.sentClose else { return }
            let echo = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)
            context.write(self.wrapOutboundOut(echo), promise: nil)
        case .ping:
            guard !self.sentClose else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.write(self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            self.receivedClose(context: context, frame: frame)
        default:
            self.failConnection(context: context, code: .protocolError)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One flush per read batch rather than per frame.
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        if self.sentClose {
            // This is the peer's answer to a close we started: the handshake is complete.
            context.close(promise: nil)
            return
        }
        // Answer with the peer's status code (RFC 6455 §5.5.1), then drop the TCP connection.
        var payload = frame.unmaskedData
        var reply = context.channel.allocator.buffer(capacity: 2)
        if let code = payload.readWebSocketErrorCode() {
            reply.write(webSocketErrorCode: code)
        }
        self.sentClose = true
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func failConnection(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !self.sentClose else { return }
        self.sentClose = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { _ in channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension WebSocketEchoHandler: Sendable {}
