/// The decisions of one request: up to three kept inline, so the common request (a header rule, a
/// rate limit, a CORS rule) records them without allocating; a fourth and beyond go to an array.
public struct AccessLogDecisions: Sendable {
    private var first: AccessLogDecision?
    private var second: AccessLogDecision?
    private var third: AccessLogDecision?
    private var more: [AccessLogDecision] = []
    /// A decision a phase takes after an asynchronous step, when the context was already handed back.
    private var deferred: AccessLogDeferredDecision?

    public init() {}

    public private(set) var count = 0

    public var isEmpty: Bool { count == 0 && deferred?.decision == nil }

    /// A slot for a decision taken later, on the request's event loop (after a `.pending` phase
    /// outcome): whatever it holds when the exchange is recorded is listed last.
    public mutating func appendDeferred() -> AccessLogDeferredDecision {
        let box = AccessLogDeferredDecision()
        deferred = box
        return box
    }

    public mutating func append(_ decision: AccessLogDecision) {
        switch count {
        case 0: first = decision
        case 1: second = decision
        case 2: third = decision
        default: more.append(decision)
        }
        count += 1
    }

    public mutating func append(kind: AccessLogDecision.Kind, rule: String, outcome: AccessLogDecision.Outcome) {
        append(AccessLogDecision(kind: kind, rule: rule, outcome: outcome))
    }

    /// True when some decision must never be sampled out (see `Outcome.isNotable`).
    public var hasNotable: Bool {
        var notable = false
        forEach { if $0.outcome.isNotable { notable = true } }
        return notable
    }

    public func forEach(_ body: (AccessLogDecision) -> Void) {
        if let first { body(first) }
        if let second { body(second) }
        if let third { body(third) }
        for decision in more { body(decision) }
        if let decision = deferred?.decision { body(decision) }
    }

    public var all: [AccessLogDecision] {
        var result: [AccessLogDecision] = []
        forEach { result.append($0) }
        return result
    }
}

/// The box a phase's asynchronous decision lands in. Only the request's event loop touches it
/// (the future that fills it completes there, before the exchange is recorded), which is why it
/// may be marked Sendable without a lock.
public final class AccessLogDeferredDecision: @unchecked Sendable {
    public var decision: AccessLogDecision?

    init() {}
}
