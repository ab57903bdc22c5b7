/// Why a Redis request did not produce a usable reply. `reason` is a closed set (metric labels,
/// fallback counters); `detail` is for logs and `/readyz`.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        /// Connection refused, reset or closed; a protocol error; an error reply.
        case error
        /// Slower than the configured budget.
        case timeout
        /// Not sent: the circuit breaker is open after repeated failures.
        case circuitOpen = "circuit_open"
    }

    public var reason: Reason
    public var detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { detail }

    static let connectionClosed = RedisError(.error, "the connection to Redis closed")
}
