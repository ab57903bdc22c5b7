import Testing
@testable import Portcullis

@Suite struct RedisCircuitBreakerTests {
    @Test func opensAfterTheThresholdAndBacksOffUntilASuccess() {
        let breaker = RedisCircuitBreaker(threshold: 3, backoff: 100, maxBackoff: 350)
        #expect(!breaker.isOpen)
        #expect(breaker.degradedReason == nil)
        #expect(breaker.recordFailure("refused") == nil)
        #expect(breaker.degradedReason == "refused")
        #expect(breaker.recordFailure("refused") == nil)
        #expect(!breaker.isOpen)
        // The third opens it: the caller schedules the first probe after 100.
        #expect(breaker.recordFailure("refused") == 100)
        #expect(breaker.isOpen)
        // Further failures while open schedule nothing more (one probe at a time).
        #expect(breaker.recordFailure("refused") == nil)
        #expect(breaker.probeFailed("still refused") == 200)
        #expect(breaker.probeFailed("still refused") == 350)
        #expect(breaker.probeFailed("still refused") == 350)
        #expect(breaker.degradedReason == "still refused")
        breaker.recordSuccess()
        #expect(!breaker.isOpen)
        #expect(breaker.degradedReason == nil)
        // Closed again with the back-off reset.
        #expect(breaker.recordFailure("x") == nil)
        #expect(breaker.recordFailure("x") == nil)
        #expect(breaker.recordFailure("x") == 100)
    }

    @Test func aSuccessBeforeTheThresholdStartsTheCountAgain() {
        let breaker = RedisCircuitBreaker(threshold: 2, backoff: 10, maxBackoff: 10)
        _ = breaker.recordFailure("x")
        breaker.recordSuccess()
        #expect(breaker.recordFailure("x") == nil)
        #expect(breaker.recordFailure("x") == 10)
    }

    @Test func aLateSuccessClosesTheCircuitAndEndsTheProbes() {
        let breaker = RedisCircuitBreaker(threshold: 1, backoff: 10, maxBackoff: 40)
        #expect(breaker.recordFailure("x") == 10)
        // An answer to a request sent before the circuit opened arrives: closed.
        breaker.recordSuccess()
        #expect(!breaker.isOpen)
        // The probe scheduled meanwhile fails: no further probe, and the next failure opens anew.
        #expect(breaker.probeFailed("x") == nil)
        #expect(breaker.recordFailure("x") == 10)
    }
}
