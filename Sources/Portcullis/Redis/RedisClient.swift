import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The process's Redis client: one `RedisLoopClient` per event loop (made on first use, held in
/// a thread-local of that loop's thread, so the hot path takes no lock), one circuit breaker, and
/// the request counters the metrics show. Every request runs within the configured budget.
public final class RedisClient: Sendable {
    public let config: RedisConfig
    let breaker: RedisCircuitBreaker
    private let logger: Logger
    private let loopClients = ThreadSpecificVariable<RedisLoopClient>()
    /// Requests by outcome (`RedisClient.outcomes`).
    private let answered = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let timedOut = Atomic<Int>(0)
    private let notSent = Atomic<Int>(0)
    /// `MOVED` and `ASK` answers followed (a Redis Cluster resharding shows here).
    public let redirections = RedisRedirections()
    /// What a request that outlasted its budget fails with, made once: the budget timer calls
    /// every request's expiry, answered or not (failing an answered one does nothing), so a
    /// message formatted per call was several allocations on every request.
    private let timeoutError: any Error

    public static let outcomes = ["ok", "error", "timeout", "circuit_open"]

    public init(config: RedisConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        breaker = RedisCircuitBreaker(threshold: config.failuresToOpen, backoff: config.backoff, maxBackoff: config.maxBackoff)
        timeoutError = RedisError(.timeout, "no answer within \(Units.formatDuration(config.timeout))")
    }

    /// Requests so far with `RedisClient.outcomes[index]`.
    public func count(outcome index: Int) -> Int {
        switch index {
        case 0: return answered.load(ordering: .relaxed)
        case 1: return failed.load(ordering: .relaxed)
        case 2: return timedOut.load(ordering: .relaxed)
        default: return notSent.load(ordering: .relaxed)
        }
    }

    /// Whether the circuit breaker keeps requests from Redis now.
    public var isCircuitOpen: Bool { breaker.isOpen }

    /// What `/readyz` says while Redis fails (nil while it answers).
    public var degradedReason: String? {
        guard let reason = breaker.degradedReason else { return nil }
        return "redis at \(config.endpoint) \(isCircuitOpen ? "unavailable, circuit open" : "failing"): \(reason); rate limits fall back to the in-process store"
    }

    func loopClient(on loop: EventLoop) -> RedisLoopClient {
        if let client = loopClients.currentValue, client.loop === loop { return client }
        let client = RedisLoopClient(loop: loop, config: config, redirections: redirections)
        loopClients.currentValue = client
        return client
    }

    /// Opens a loop's connections, learns whether Redis is a cluster and loads `script`, before
    /// the first request needs them (a cold first decision would take several round trips).
    /// Failures are only logged: requests find out for themselves.
    public func warmUp(on loop: EventLoop, script: String) {
        loop.execute { [self] in
            let client = loopClient(on: loop)
            client.probe().flatMap {
                client.send(RedisCommandEncoder.encode(["SCRIPT", "LOAD", script]), slot: 0)
            }.whenFailure { [logger, config] error in
                logger.debug("redis warm-up failed", metadata: ["redis.endpoint": "\(config.endpoint)", "error": "\(error)"])
            }
        }
    }

    /// Runs one request (`body` may send several commands, e.g. a script load and a retry, and
    /// completes the promise it is given) through the circuit breaker and within the budget,
    /// counting its outcome. The future fails with a `RedisError` whose reason says why.
    func request<Value: Sendable>(on loop: EventLoop, _ body: (RedisLoopClient, EventLoopPromise<Value>) -> Void) -> EventLoopFuture<Value> {
        if breaker.isOpen {
            notSent.wrappingAdd(1, ordering: .relaxed)
            return loop.makeFailedFuture(RedisError(.circuitOpen, "the circuit breaker is open"))
        }
        let promise = loop.makePromise(of: Value.self)
        let client = loopClient(on: loop)
        let timeoutError = self.timeoutError
        client.budgetTimer.watch { promise.fail(timeoutError) }
        body(client, promise)
        let futureResult = promise.futureResult
        futureResult.whenComplete { [self] result in
            switch result {
            case .success:
                answered.wrappingAdd(1, ordering: .relaxed)
                breaker.recordSuccess()
            case .failure(let error):
                let failure = error as? RedisError ?? RedisError(.error, "\(error)")
                if failure.reason == .timeout {
                    timedOut.wrappingAdd(1, ordering: .relaxed)
                } else {
                    failed.wrappingAdd(1, ordering: .relaxed)
                }
                if let delay = breaker.recordFailure(failure.detail) {
                    logger.warning("redis circuit opened: rate limits fall back to the in-process store", metadata: [
                        "redis.endpoint": "\(config.endpoint)", "error": "\(failure.detail)", "probe.in": "\(Units.formatDuration(delay))",
                    ])
                    scheduleProbe(on: loop, after: delay)
                }
            }
        }
        return futureResult
    }

    /// While the circuit is open, one probe at a time checks Redis after a growing back-off.
    private func scheduleProbe(on loop: EventLoop, after delay: Int64) {
        loop.scheduleTask(in: .nanoseconds(delay)) { [self] in
            let client = loopClient(on: loop)
            let promise = loop.makePromise(of: Void.self)
            let budget = max(config.timeout, 250_000_000)
            let timer = loop.scheduleTask(in: .nanoseconds(budget)) {
                promise.fail(RedisError(.timeout, "no answer within \(Units.formatDuration(budget))"))
            }
            client.probe().cascade(to: promise)
            promise.futureResult.whenComplete { [self] result in
                timer.cancel()
                switch result {
                case .success:
                    breaker.recordSuccess()
                    logger.notice("redis answers again: shared rate limits resume", metadata: ["redis.endpoint": "\(config.endpoint)"])
                case .failure(let error):
                    if let next = breaker.probeFailed((error as? RedisError)?.detail ?? "\(error)") {
                        scheduleProbe(on: loop, after: next)
                    }
                }
            }
        }
    }
}
