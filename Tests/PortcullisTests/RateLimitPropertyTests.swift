import PropertyBased
import Testing
@testable import Portcullis

/// The rate-limit store's promises, checked on generated traffic (x-sheep/swift-property-based:
/// random inputs, shrunk to a small counterexample on failure).
@Suite struct RateLimitPropertyTests {
    static let millisecond: Int64 = 1_000_000

    /// No interval of one window's length ever lets more than 2N−1 requests through (the bound
    /// docs/rate-limits.md derives for the sliding-window counter), whatever the arrival times.
    @Test func noWindowLengthAdmitsMoreThanTheDocumentedBound() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...8), Gen.int(in: 1...5), Gen.int(in: 0...400).array(of: 1...300)) { limit, seconds, gaps in
            let length = Int64(seconds) * 1_000 * Self.millisecond
            let store = RateLimitStore(capacity: 64, shardCount: 1)
            let rule = RateLimitStoreTests.rule(windows: [(limit, length)])
            let key = RateLimitStoreTests.key(7)
            var now: Int64 = 3_600 * 1_000 * Self.millisecond
            var admitted: [Int64] = []
            for gap in gaps {
                now += Int64(gap) * Int64(seconds) * Self.millisecond  // gaps scale with the window
                if store.decide(key, rule: rule, now: now).isAllowed { admitted.append(now) }
            }
            // The most admissions in any half-open interval of the window's length.
            var most = 0
            var start = 0
            for end in admitted.indices {
                while admitted[end] - admitted[start] >= length { start += 1 }
                most = max(most, end - start + 1)
            }
            #expect(most <= 2 * limit - 1, "limit \(limit) per \(seconds)s admitted \(most)")
        }
    }

    /// However many distinct keys arrive, the store never tracks more than its capacity.
    @Test func keysNeverExceedTheCapacity() async {
        await propertyCheck(count: 50, input: Gen.int(in: 1...4), Gen.int(in: 0...Int(Int32.max)).array(of: 1...2_000)) { shardPower, keys in
            let store = RateLimitStore(capacity: 64, shardCount: 1 << shardPower)
            let rule = RateLimitStoreTests.rule(windows: [(3, 3_600 * 1_000 * Self.millisecond)])
            var now: Int64 = 0
            for key in keys {
                now += Self.millisecond
                _ = store.decide(RateLimitStoreTests.key(UInt64(key)), rule: rule, now: now)
            }
            #expect(store.trackedKeys <= store.capacity)
        }
    }

    /// Every request during a ban is refused, and a ban never ends before the window would let
    /// the key in again.
    @Test func aBanOutlastsItsViolations() async {
        await propertyCheck(count: 100, input: Gen.int(in: 1...4), Gen.int(in: 1...3), Gen.int(in: 1...30), Gen.int(in: 0...200).array(of: 5...200)) { limit, violations, banSeconds, gaps in
            let second = 1_000 * Self.millisecond
            let penalty = RateLimitPenalty(afterViolations: violations, within: 60 * second, ban: Int64(banSeconds) * second)
            let rule = RateLimitStoreTests.rule(windows: [(limit, 10 * second)], penalty: penalty)
            let store = RateLimitStore(capacity: 64, shardCount: 1)
            let key = RateLimitStoreTests.key(3)
            var now: Int64 = 3_600 * second
            var bannedUntil: Int64 = 0
            for gap in gaps {
                now += Int64(gap) * 10 * Self.millisecond
                let decision = store.decide(key, rule: rule, now: now)
                if now < bannedUntil { #expect(!decision.isAllowed, "allowed during a ban") }
                if decision.banStarted > 0 {
                    #expect(decision.banStarted >= Int64(banSeconds) * second)
                    #expect(decision.reset >= decision.banStarted, "the ban must outlast the window's refusal")
                    bannedUntil = now + decision.reset
                }
            }
        }
    }
}
