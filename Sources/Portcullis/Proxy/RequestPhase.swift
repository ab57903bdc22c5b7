import NIOCore
import NIOHTTP1

/// What a phase decided about a request.
public enum PhaseOutcome {
    /// Go on to the next phase.
    case proceed
    /// Answer the request now (429, 403, 451 …); nothing is forwarded.
    case respond(ProblemResponse)
    /// Answer with a redirect or other non-problem response.
    case respondWith(HTTPResponseHead, ByteBuffer?)
    /// The phase needs I/O (Redis, a scan); the answer arrives on the same event loop.
    case pending(EventLoopFuture<PhaseOutcome>)
    /// The phase must see the whole body before anything is forwarded (upload scanning): the
    /// body is read (at most `maxBytes`, else 413 with `overLimit` recorded), then the phase's
    /// `requestBody` decides. Only a phase that asks pays for it.
    case collectBody(maxBytes: Int, overLimit: AccessLogDecision?)
}

/// A step of the request path, compiled per route from policy (geo gate, rate limit, upload scan, headers).
/// Every method has a no-op default, so a feature implements only the phases it needs; a phase that
/// needs no I/O answers synchronously so the common case allocates nothing.
public protocol RequestPhase: AnyObject, Sendable {
    /// Sees the request head before anything is forwarded; may answer the request itself.
    func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome
    /// Edits the response's headers in place before they are sent to the client (the upstream's
    /// response, or an answer the gateway made itself).
    func responseHead(_ headers: inout HTTPHeaders, status: HTTPResponseStatus, context: RequestContext)
    /// Sees the whole body of a request this phase answered `.collectBody` for; nothing is
    /// forwarded before it proceeds (the body then goes upstream with a Content-Length).
    func requestBody(_ body: RequestBody, head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome
}

extension RequestPhase {
    public func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome { .proceed }
    public func responseHead(_ headers: inout HTTPHeaders, status: HTTPResponseStatus, context: RequestContext) {}
    public func requestBody(_ body: RequestBody, head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome { .proceed }
}
