import NIOCore

/// The timeouts of one client connection as plain timestamps from the loop's coarse clock. The
/// request path records events; the loop's sweeper asks `check` what, if anything, has expired.
/// No timers are scheduled per request, and the logic is testable with any clock.
struct ConnectionDeadlines {
    enum Expired: Equatable {
        /// A request head started but did not complete within `header_read` (slowloris).
        case headerRead
        /// A keep-alive connection without a request for `client_idle`.
        case idleConnection
        /// The request was sent but no response head came within `upstream_response`.
        case upstreamResponse
        /// Nothing came from the upstream for `upstream_idle` while we were reading from it.
        case upstreamSilent
        /// The client stopped sending its body, or stopped reading the response, for `client_idle`.
        case clientStalled
    }

    /// Where the exchange stands when the sweeper looks.
    enum Phase {
        case waitingForHead(partialHeadBuffered: Bool)
        case exchanging(requestComplete: Bool, requestSent: Bool, responseHeadSent: Bool, upstreamReadHeld: Bool)
        case other
    }

    private var waitingSince = NIODeadline.uptimeNanoseconds(0)
    private var headSeenAt: NIODeadline?
    private var requestSentAt = NIODeadline.uptimeNanoseconds(0)
    private var lastClientProgressAt = NIODeadline.uptimeNanoseconds(0)
    private var lastUpstreamProgressAt = NIODeadline.uptimeNanoseconds(0)
    private var clientBlockedSince: NIODeadline?
    /// Set on every read; folded into a timestamp at the next check (a store, not a clock read).
    var clientProgressed = false
    var upstreamProgressed = false

    mutating func waitingForHead(now: NIODeadline) {
        headSeenAt = nil
        waitingSince = now
    }

    mutating func headReceived(now: NIODeadline) {
        lastClientProgressAt = now
    }

    mutating func requestSent(now: NIODeadline) {
        requestSentAt = now
        lastUpstreamProgressAt = now
    }

    mutating func clientWritabilityChanged(writable: Bool, now: NIODeadline) {
        clientBlockedSince = writable ? nil : now
    }

    mutating func check(now: NIODeadline, phase: Phase, timeouts: TimeoutsConfig) -> Expired? {
        switch phase {
        case .waitingForHead(let partialHeadBuffered):
            if partialHeadBuffered {
                guard let seen = headSeenAt else {
                    headSeenAt = now
                    return nil
                }
                return now - seen >= .nanoseconds(timeouts.headerRead) ? .headerRead : nil
            }
            return now - waitingSince >= .nanoseconds(timeouts.clientIdle) ? .idleConnection : nil
        case .exchanging(let requestComplete, let requestSent, let responseHeadSent, let upstreamReadHeld):
            if clientProgressed {
                clientProgressed = false
                lastClientProgressAt = now
            }
            if upstreamProgressed || upstreamReadHeld {
                // Reads held for backpressure are the client's doing, not the upstream's silence.
                upstreamProgressed = false
                lastUpstreamProgressAt = now
            }
            if let blocked = clientBlockedSince, now - blocked >= .nanoseconds(timeouts.clientIdle) {
                return .clientStalled
            }
            if requestSent, !responseHeadSent, now - requestSentAt >= .nanoseconds(timeouts.upstreamResponse) {
                return .upstreamResponse
            }
            if requestSent, now - lastUpstreamProgressAt >= .nanoseconds(timeouts.upstreamIdle) {
                return .upstreamSilent
            }
            if !requestComplete, now - lastClientProgressAt >= .nanoseconds(timeouts.clientIdle) {
                return .clientStalled
            }
            return nil
        case .other:
            return nil
        }
    }
}
