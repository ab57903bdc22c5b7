import W3CTraceContext

/// The W3C `traceparent` a request is forwarded with, so the application's traces link to the
/// gateway's request: the client's when it is valid, else a new trace (and the client's
/// `tracestate`, meaningless without its parent, is dropped).
struct TraceParent {
    /// The header value sent upstream.
    let value: String
    /// 32 hex digits, for the access log.
    let traceID: String
    /// The client's trace was kept.
    let continued: Bool

    init(clientValue: String?, random generator: inout some RandomNumberGenerator) {
        if let clientValue, let context = try? TraceContext(traceParentHeaderValue: clientValue) {
            value = clientValue
            traceID = context.traceID.description
            continued = true
            return
        }
        let context = TraceContext(traceID: .random(using: &generator), spanID: .random(using: &generator), flags: [], state: TraceState())
        value = context.traceParentHeaderValue
        traceID = context.traceID.description
        continued = false
    }
}
