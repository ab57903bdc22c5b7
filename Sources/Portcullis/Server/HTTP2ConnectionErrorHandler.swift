import NIOCore

/// The last handler of an HTTP/2 connection: an error that reaches it ends the connection.
///
/// NIOHTTP2 answers a connection error (a PING or SETTINGS flood over its buffer limit, a protocol
/// violation) with `GOAWAY` and reports it with `errorCaught`, and leaves closing to the pipeline.
/// Nothing closed it: the client could go on sending after the `GOAWAY`, and the gateway went on
/// reading and holding what it read (a PING flood that never read its answers grew the gateway by
/// about 7 MiB a second, `scripts/bench-floods`).
final class HTTP2ConnectionErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
