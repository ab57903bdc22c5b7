import NIOCore
import NIOHTTP1

/// Turns a client connection and its upstream connection into a byte tunnel after a
/// `101 Switching Protocols`: the HTTP handlers leave both pipelines, `TunnelHandler`s take over,
/// and bytes the HTTP decoders had already read are handed to the tunnel.
enum TunnelSwitch {
    /// - Parameters:
    ///   - client: the context of the client's HTTP handler (which is removed too).
    ///   - upstream: the upstream connection, already detached from its pool.
    static func perform(client: ChannelHandlerContext, upstream: UpstreamConnection, idleTimeout: TimeAmount) throws {
        let (clientSide, upstreamSide) = TunnelHandler.makePair()
        let clientPipeline = client.pipeline.syncOperations
        let upstreamPipeline = upstream.channel.pipeline.syncOperations
        _ = clientPipeline.removeHandler(name: GatewayChannelNames.encoder)
        try clientPipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout), position: .after(try clientPipeline.handler(type: ByteToMessageHandler<ObservedRequestDecoder>.self)))
        try clientPipeline.addHandler(clientSide)
        _ = upstreamPipeline.removeHandler(name: UpstreamConnection.encoderName)
        _ = upstreamPipeline.removeHandler(name: UpstreamConnection.handlerName)
        try upstreamPipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
        try upstreamPipeline.addHandler(upstreamSide)
        // Removing the decoders forwards the bytes they already read to the tunnel.
        _ = upstreamPipeline.removeHandler(name: UpstreamConnection.decoderName)
        clientPipeline.removeHandler(context: client, promise: nil)
        _ = clientPipeline.removeHandler(name: GatewayChannelNames.decoder)
        // Bytes a decoder had already read (a frame sent right after the handshake) reach the
        // tunnel without a read-complete to flush them: flush both sides once the switch is done.
        let clientChannel = client.channel
        let upstreamChannel = upstream.channel
        clientChannel.eventLoop.execute {
            upstreamChannel.flush()
            clientChannel.flush()
        }
        upstream.channel.read()
    }
}
