import NIOCore
import NIOHTTP1

/// Receives what a leased upstream connection produces. Implemented by the client connection's
/// handler; both live on the same event loop, so calls are direct.
protocol UpstreamConnectionDelegate: AnyObject {
    var isDownstreamWritable: Bool { get }
    func upstreamReceived(_ part: HTTPClientResponsePart, from connection: UpstreamConnection)
    func upstreamReadComplete(_ connection: UpstreamConnection)
    func upstreamWritabilityChanged(_ connection: UpstreamConnection)
    /// The connection closed or failed while leased.
    func upstreamFailed(_ connection: UpstreamConnection, error: Error?)
}

/// One keep-alive HTTP/1.1 connection to an endpoint, owned by its loop's `UpstreamPool`.
final class UpstreamConnection {
    static let encoderName = "upstream-encoder"
    static let decoderName = "upstream-decoder"
    static let handlerName = "upstream-handler"

    let channel: Channel
    let group: UpstreamGroup
    let endpointIndex: Int
    let handler: UpstreamConnectionHandler
    /// The lease holder. Not retained (no refcounting on the hot path): every end of a lease
    /// (release, detach, close, failure) clears it before the holder can go away.
    unowned(unsafe) var delegate: UpstreamConnectionDelegate?
    /// Mirrors the channel's writability, kept by the handler, so checks need no atomic load.
    var isWritable = true
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    /// Set when the connection must not carry another request (closed, unread response, upgraded).
    var isPoisoned = false
    /// How many exchanges this connection carried; a reused connection may have been closed by the peer.
    var exchanges = 0

    init(channel: Channel, group: UpstreamGroup, endpointIndex: Int) {
        self.channel = channel
        self.group = group
        self.endpointIndex = endpointIndex
        self.handler = UpstreamConnectionHandler()
        self.handler.connection = self
    }

    var endpoint: EndpointHealth { group.endpoints[endpointIndex] }
    var isReusable: Bool { !isPoisoned && channel.isActive }

    func write(_ part: HTTPClientRequestPart) { handler.write(part) }
    func flush() { handler.flush() }
    func replayRead() { handler.replayRead() }

    func close() {
        isPoisoned = true
        delegate = nil
        channel.close(promise: nil)
    }
}

/// The pipeline end of an upstream connection: hands response parts to the lease holder and
/// withholds `read()` while the client cannot take more (backpressure).
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    unowned(unsafe) var connection: UpstreamConnection!
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// A read is being withheld because the client cannot take more.
    var isHoldingRead: Bool { pendingRead }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() { context?.flush() }

    func replayRead() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let delegate = connection.delegate {
            delegate.upstreamReceived(part, from: connection)
        } else {
            // Bytes on an idle connection: the next exchange could read them as its response.
            connection.close()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.delegate?.upstreamReadComplete(connection)
    }

    func read(context: ChannelHandlerContext) {
        if let delegate = connection.delegate, !delegate.isDownstreamWritable {
            pendingRead = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.isWritable = context.channel.isWritable
        connection.delegate?.upstreamWritabilityChanged(connection)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.isPoisoned = true
        if let delegate = connection.delegate {
            connection.delegate = nil
            delegate.upstreamFailed(connection, error: nil)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        connection.isPoisoned = true
        if let delegate = connection.delegate {
            connection.delegate = nil
            delegate.upstreamFailed(connection, error: error)
        }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamConnectionHandler: Sendable {}
