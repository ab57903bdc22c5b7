import NIOCore
import NIOHTTP1

/// NIO's request decoder, plus one fact the slowloris guard needs: whether a request head has
/// started arriving but is not complete yet (bytes left buffered after decoding). Wrapping the
/// decoder costs nothing per read, where a separate handler would be one more pipeline hop.
final class ObservedRequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPServerRequestPart

    private let decoder: HTTPRequestDecoder
    /// Bytes are waiting in the decoder's buffer for more input.
    private(set) var hasPartialInput = false

    init(_ decoder: HTTPRequestDecoder) {
        self.decoder = decoder
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let state = try decoder.decode(context: context, buffer: &buffer)
        hasPartialInput = buffer.readableBytes > 0
        return state
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }

    func decoderAdded(context: ChannelHandlerContext) {
        decoder.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        decoder.decoderRemoved(context: context)
    }
}

@available(*, unavailable)
extension ObservedRequestDecoder: Sendable {}
