/// One shard of the local store: its keys' counters in fixed slots, a dictionary from key to
/// slot, and a doubly linked list of slots from the most to the least recently used, so the
/// stalest key is found in O(1) when the shard is full. Lives inside a `Mutex`; nothing here
/// allocates once the arrays have grown to the shard's capacity.
struct RateLimitShard {
    struct Slot {
        var key: RateLimitKey
        var previous: Int32 = -1
        var next: Int32 = -1
        /// From this instant the slot holds nothing that matters: every window is empty, no ban
        /// is running and none is remembered (see `RateLimitPenalty.forgetAfter`).
        var idleAt: Int64 = 0
        var violations: Int32 = 0
        var violationsSince: Int64 = 0
        var bannedUntil: Int64 = 0
        /// Bans so far (the next one is `ban × growth^bans`), while remembered.
        var bans: Int32 = 0
        var lastBanEnd: Int64 = 0
    }

    let capacity: Int
    private var index = RateLimitKeyIndex()
    private var slots: [Slot] = []
    /// `RateLimitRule.maximumWindows` counters per slot, slot by slot.
    private var counters: [SlidingWindowCounter] = []
    private var free: [Int32] = []
    private var head: Int32 = -1
    private var tail: Int32 = -1
    private(set) var evictions = 0
    private(set) var expirations = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { index.count }

    /// Checks a request against every window of the rule and counts it only if all allow it;
    /// applies the rule's penalty to a refused one.
    mutating func decide(_ key: RateLimitKey, windows: [RateLimitWindow.Limit], penalty: RateLimitPenalty?, longestWindow: Int64, now: Int64) -> RateLimitDecision {
        let slot = slotIndex(for: key, now: now)
        let base = Int(slot) * RateLimitRule.maximumWindows
        var decision = RateLimitDecision(verdict: .allowed, window: 0, remaining: Int.max, reset: 0)

        if slots[Int(slot)].bannedUntil > now {
            decision.verdict = .banned
            decision.remaining = 0
            decision.reset = slots[Int(slot)].bannedUntil - now
            return decision
        }

        var retryAt = now
        for (offset, window) in windows.enumerated() {
            counters[base + offset].advance(to: now, length: window.length)
            let counter = counters[base + offset]
            if !counter.allows(at: now, length: window.length, limit: window.requests) {
                let at = counter.nextAllowed(after: now, length: window.length, limit: window.requests)
                if decision.verdict == .allowed || at > retryAt {
                    decision.window = offset
                    retryAt = at
                }
                decision.verdict = .limited
            }
        }

        if decision.verdict == .allowed {
            for (offset, window) in windows.enumerated() {
                counters[base + offset].record()
                let counter = counters[base + offset]
                let remaining = counter.remaining(at: now, length: window.length, limit: window.requests)
                if remaining < decision.remaining {
                    decision.window = offset
                    decision.remaining = remaining
                    decision.reset = remaining == 0
                        ? counter.nextAllowed(after: now, length: window.length, limit: window.requests) - now
                        : counter.emptyAt(length: window.length) - now
                }
            }
            slots[Int(slot)].idleAt = max(slots[Int(slot)].idleAt, (now / longestWindow + 2) * longestWindow)
            return decision
        }

        decision.remaining = 0
        decision.reset = retryAt - now
        if let penalty { punish(slot: Int(slot), penalty: penalty, retryAt: retryAt, now: now, decision: &decision) }
        return decision
    }

    /// Counts a violation; the `afterViolations`-th within `within` begins a ban that lasts
    /// `ban × growth^bans` and never ends before the windows would allow the key again.
    private mutating func punish(slot: Int, penalty: RateLimitPenalty, retryAt: Int64, now: Int64, decision: inout RateLimitDecision) {
        if now - slots[slot].violationsSince >= penalty.within || slots[slot].violations == 0 {
            slots[slot].violations = 0
            slots[slot].violationsSince = now
        }
        slots[slot].violations += 1
        slots[slot].idleAt = max(slots[slot].idleAt, slots[slot].violationsSince + penalty.within)
        guard slots[slot].violations >= penalty.afterViolations else { return }

        if slots[slot].bans > 0, now - slots[slot].lastBanEnd >= penalty.forgetAfter { slots[slot].bans = 0 }
        let level = Int(slots[slot].bans)
        let until = max(now + penalty.duration(level: level), retryAt)
        slots[slot].bannedUntil = until
        slots[slot].lastBanEnd = until
        slots[slot].bans += 1
        slots[slot].violations = 0
        slots[slot].idleAt = max(slots[slot].idleAt, until + penalty.forgetAfter)
        decision.verdict = .banned
        decision.reset = until - now
        decision.banStarted = until - now
        decision.banLevel = level
    }

    /// The slot of `key`, moved to the front of the recency list; a new key takes a free slot,
    /// an expired one from the back of the list, or (the shard being full) the stalest.
    private mutating func slotIndex(for key: RateLimitKey, now: Int64) -> Int32 {
        if let found = index[key.primary], slots[Int(found)].key.check == key.check {
            moveToFront(found)
            return found
        } else if let found = index[key.primary] {
            // Both hashes must match: a primary-only collision takes the slot over, fresh.
            reset(found, key: key)
            moveToFront(found)
            return found
        }
        expireStalest(now: now, limit: 2)
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            reset(slot, key: key)
        } else if slots.count < capacity {
            slot = Int32(slots.count)
            slots.append(Slot(key: key))
            counters.append(contentsOf: repeatElement(SlidingWindowCounter(), count: RateLimitRule.maximumWindows))
        } else {
            slot = tail
            unlink(slot)
            index.remove(slots[Int(slot)].key.primary)
            evictions += 1
            reset(slot, key: key)
        }
        index.set(key.primary, slot: slot)
        pushFront(slot)
        return slot
    }

    /// Frees up to `limit` idle slots from the back of the recency list (the stalest first).
    mutating func expireStalest(now: Int64, limit: Int) {
        var removed = 0
        while removed < limit, tail >= 0, slots[Int(tail)].idleAt <= now {
            let slot = tail
            unlink(slot)
            index.remove(slots[Int(slot)].key.primary)
            free.append(slot)
            expirations += 1
            removed += 1
        }
    }

    /// Frees every idle slot (a periodic sweep; requests only ever free a couple at a time).
    mutating func expireAll(now: Int64) -> Int {
        var removed = 0
        var slot = tail
        while slot >= 0 {
            let previous = slots[Int(slot)].previous
            if slots[Int(slot)].idleAt <= now {
                unlink(slot)
                index.remove(slots[Int(slot)].key.primary)
                free.append(slot)
                expirations += 1
                removed += 1
            }
            slot = previous
        }
        return removed
    }

    /// The state of a key, for tests and diagnostics.
    func snapshot(of key: RateLimitKey) -> (slot: Slot, counters: [SlidingWindowCounter])? {
        guard let slot = index[key.primary], slots[Int(slot)].key == key else { return nil }
        let base = Int(slot) * RateLimitRule.maximumWindows
        return (slots[Int(slot)], Array(counters[base..<base + RateLimitRule.maximumWindows]))
    }

    private mutating func reset(_ slot: Int32, key: RateLimitKey) {
        let (previous, next) = (slots[Int(slot)].previous, slots[Int(slot)].next)
        slots[Int(slot)] = Slot(key: key, previous: previous, next: next)
        let base = Int(slot) * RateLimitRule.maximumWindows
        for offset in 0..<RateLimitRule.maximumWindows { counters[base + offset] = SlidingWindowCounter() }
    }

    private mutating func moveToFront(_ slot: Int32) {
        guard head != slot else { return }
        unlink(slot)
        pushFront(slot)
    }

    private mutating func pushFront(_ slot: Int32) {
        slots[Int(slot)].previous = -1
        slots[Int(slot)].next = head
        if head >= 0 { slots[Int(head)].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let (previous, next) = (slots[Int(slot)].previous, slots[Int(slot)].next)
        if previous >= 0 { slots[Int(previous)].next = next } else { head = next }
        if next >= 0 { slots[Int(next)].previous = previous } else { tail = previous }
        slots[Int(slot)].previous = -1
        slots[Int(slot)].next = -1
    }
}
