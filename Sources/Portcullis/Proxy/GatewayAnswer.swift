import NIOCore
import NIOHTTP1

/// A response the gateway makes itself rather than forwarding one: a problem+json error, or a
/// complete response from a phase (a CORS preflight, a redirect).
enum GatewayAnswer {
    case problem(ProblemResponse)
    case response(HTTPResponseHead, ByteBuffer?)
}
