import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct RateLimitStoreTests {
    static let second: Int64 = 1_000_000_000

    static func rule(_ name: String = "r", windows: [(Int, Int64)], penalty: RateLimitPenalty? = nil, mode: PolicyMode = .enforce) -> RateLimitRule {
        RateLimitRule(
            common: PolicyRuleCommon(name: name, match: PolicyMatch(), mode: mode, location: SourceLocation(file: "t.yaml", line: 1, column: 1)),
            key: RateLimitKeySpec(parts: [.address]), fallbackKey: nil,
            windows: windows.map { RateLimitWindow(requests: $0.0, length: $0.1, policyName: name) },
            penalty: penalty, sendsHeaders: true, onStoreError: .allow, tokens: nil
        )
    }

    static func key(_ n: UInt64) -> RateLimitKey {
        var hasher = RateLimitKeyHasher(fingerprint: 1)
        hasher.combine(n)
        return hasher.finalize()
    }

    @Test func aRequestIsCountedOnlyIfEveryWindowAllowsIt() {
        let store = RateLimitStore(capacity: 100, shardCount: 1)
        let rule = Self.rule(windows: [(2, Self.second), (3, 3_600 * Self.second)])
        let key = Self.key(1)
        var now: Int64 = 3_600 * Self.second
        var verdicts: [RateLimitDecision.Verdict] = []
        for _ in 0..<3 { verdicts.append(store.decide(key, rule: rule, now: now).verdict) }
        #expect(verdicts == [.allowed, .allowed, .limited])
        // The refused third did not use up the hourly quota: one more fits later.
        now += 2 * Self.second
        #expect(store.decide(key, rule: rule, now: now).verdict == .allowed)
        now += 2 * Self.second
        let refused = store.decide(key, rule: rule, now: now)
        #expect(refused.verdict == .limited)
        #expect(refused.window == 1)
        #expect(refused.remaining == 0)
    }

    @Test func retryAfterIsNeverEarly() {
        let store = RateLimitStore(capacity: 100, shardCount: 1)
        let rule = Self.rule(windows: [(5, 60 * Self.second)])
        let key = Self.key(2)
        let start: Int64 = 600 * Self.second + 7 * Self.second / 10
        for _ in 0..<5 { #expect(store.decide(key, rule: rule, now: start).isAllowed) }
        let refused = store.decide(key, rule: rule, now: start)
        #expect(!refused.isAllowed)
        let retry = Int64(refused.resetSeconds) * Self.second
        #expect(retry >= refused.reset && retry - refused.reset < Self.second)
        #expect(!store.decide(key, rule: rule, now: start + refused.reset - 1).isAllowed)
        #expect(store.decide(key, rule: rule, now: start + retry).isAllowed)
    }

    /// Keys never exceed the capacity, whatever arrives; the stalest go first.
    @Test func keysNeverExceedTheCapacity() {
        var random = SplitMix64(seed: 99)
        let store = RateLimitStore(capacity: 256, shardCount: 8)
        let rule = Self.rule(windows: [(3, 3_600 * Self.second)])
        var now: Int64 = 0
        for _ in 0..<20_000 {
            now += Int64.random(in: 0...Self.second, using: &random)
            _ = store.decide(Self.key(random.next()), rule: rule, now: now)
            #expect(store.trackedKeys <= store.capacity)
        }
        #expect(store.capacity == 256)
        #expect(store.evictions > 0)
    }

    @Test func theMostRecentlyUsedKeySurvivesEviction() {
        let store = RateLimitStore(capacity: 4, shardCount: 1)
        let rule = Self.rule(windows: [(1, 3_600 * Self.second)])
        let kept = Self.key(1000)
        #expect(store.decide(kept, rule: rule, now: 0).isAllowed)
        for n in 0..<50 {
            _ = store.decide(Self.key(UInt64(n)), rule: rule, now: Int64(n) + 1)
            // Touching the key keeps it at the front; its count (1 of 1) survives.
            #expect(!store.decide(kept, rule: rule, now: Int64(n) + 1).isAllowed)
        }
        #expect(store.trackedKeys == 4)
    }

    @Test func idleKeysExpire() {
        let store = RateLimitStore(capacity: 1000, shardCount: 4)
        let rule = Self.rule(windows: [(10, Self.second)])
        for n in 0..<100 { _ = store.decide(Self.key(UInt64(n)), rule: rule, now: 0) }
        #expect(store.trackedKeys == 100)
        // Two windows after the last request nothing of it matters any more.
        #expect(store.expireIdleKeys(now: Self.second) == 0)
        #expect(store.expireIdleKeys(now: 2 * Self.second) == 100)
        #expect(store.trackedKeys == 0)
        #expect(store.evictions == 0 && store.expirations == 100)
    }

    /// A ban always outlasts its violations: it never ends before the windows would allow the
    /// key again, every request during it is refused, and on repeat it grows.
    @Test func banOutlastsItsViolationsAndGrows() {
        var random = SplitMix64(seed: 4242)
        for _ in 0..<200 {
            let length = Int64.random(in: 1...120, using: &random) * Self.second
            let limit = Int.random(in: 1...10, using: &random)
            let penalty = RateLimitPenalty(afterViolations: Int.random(in: 1...5, using: &random), within: length * 10,
                                           ban: Int64.random(in: 1...600, using: &random) * Self.second, growth: 2)
            let store = RateLimitStore(capacity: 16, shardCount: 1)
            let rule = Self.rule(windows: [(limit, length)], penalty: penalty)
            let key = Self.key(7)
            var now: Int64 = Int64.random(in: 0...length, using: &random)
            var bannedUntil: Int64 = 0
            var bans = 0
            for _ in 0..<300 {
                now += Int64.random(in: 0...(length / 8 + 1), using: &random)
                let decision = store.decide(key, rule: rule, now: now)
                if now < bannedUntil {
                    #expect(decision.verdict == .banned)
                    #expect(now + decision.reset == bannedUntil)
                }
                if decision.banStarted > 0 {
                    #expect(decision.banStarted >= penalty.duration(level: decision.banLevel))
                    // Within forget_after (a day by default) each ban is the next level up.
                    #expect(decision.banLevel == bans)
                    bans += 1
                    bannedUntil = now + decision.banStarted
                    #expect(store.penaltyState(of: key)?.bannedUntil == bannedUntil)
                }
            }
        }
    }

    @Test func banEndsNoEarlierThanTheWindowWouldAllow() {
        // A ban shorter than the window: the key stays refused until the window allows it.
        let penalty = RateLimitPenalty(afterViolations: 1, within: 3_600 * Self.second, ban: Self.second)
        let store = RateLimitStore(capacity: 16, shardCount: 1)
        let rule = Self.rule(windows: [(1, 3_600 * Self.second)], penalty: penalty)
        let key = Self.key(1)
        #expect(store.decide(key, rule: rule, now: 0).isAllowed)
        let banned = store.decide(key, rule: rule, now: 10)
        #expect(banned.verdict == .banned)
        #expect(banned.banStarted == 7_200 * Self.second - 10)  // the window's own retry, not 1 s
        #expect(store.decide(key, rule: rule, now: 7_200 * Self.second).isAllowed)
    }

    @Test func progressiveBansDoubleAndAreForgotten() {
        let penalty = RateLimitPenalty(afterViolations: 1, within: 60 * Self.second, ban: 10 * Self.second, growth: 2, maxBan: 35 * Self.second, forgetAfter: 100 * Self.second)
        #expect([0, 1, 2, 3].map(penalty.duration(level:)) == [10, 20, 35, 35].map { $0 * Self.second })
        let store = RateLimitStore(capacity: 16, shardCount: 1)
        let rule = Self.rule(windows: [(1, Self.second)], penalty: penalty)
        let key = Self.key(3)
        var now: Int64 = 0
        var bans: [Int64] = []
        for _ in 0..<4 {
            #expect(store.decide(key, rule: rule, now: now).isAllowed)
            let decision = store.decide(key, rule: rule, now: now)
            bans.append(decision.banStarted)
            now += decision.banStarted + 2 * Self.second
        }
        #expect(bans == [10, 20, 35, 35].map { $0 * Self.second })
        // Long after the last ban, the key starts again from the first ban length.
        now += 200 * Self.second
        #expect(store.decide(key, rule: rule, now: now).isAllowed)
        #expect(store.decide(key, rule: rule, now: now).banStarted == 10 * Self.second)
    }
}
