/// One window of a rate limit for one key: the sliding-window-counter algorithm. Time is cut
/// into fixed windows of `length`; the count of the window before the current one is weighted by
/// how much of it still overlaps the sliding window `(now - length, now]`, as if its requests had
/// been spread evenly, and the current window's count is added whole:
///
///     estimate(now) = previous × (length − elapsed) / length + current
///
/// A request is allowed when `estimate + 1 ≤ limit`. Two integers and a window number per key
/// instead of a log of timestamps; docs/rate-limits.md derives how far it can stray from an
/// exact sliding log. All arithmetic is exact integer arithmetic on nanoseconds (128-bit
/// products), so a decision never depends on floating-point rounding.
public struct SlidingWindowCounter: Sendable, Hashable {
    /// The number of the fixed window `current` counts (`now / length`).
    public private(set) var window: Int64 = 0
    public private(set) var current: UInt32 = 0
    public private(set) var previous: UInt32 = 0

    public init() {}

    /// Moves the counter to the window containing `now`: the current count becomes the previous
    /// one when `now` is in the next window, and both are forgotten when it is later than that.
    @inline(__always)
    public mutating func advance(to now: Int64, length: Int64) {
        let index = now / length
        if index == window { return }
        previous = index == window &+ 1 ? current : 0
        current = 0
        window = index
    }

    /// `estimate × length`, exact: the previous count weighted by the overlap, plus the current.
    @inline(__always)
    func scaledEstimate(at now: Int64, length: Int64) -> UInt128 {
        let elapsed = now - window * length
        return UInt128(previous) * UInt128(length - elapsed) + UInt128(current) * UInt128(length)
    }

    /// Whether one more request fits under `limit` at `now` (after `advance(to: now, …)`).
    @inline(__always)
    public func allows(at now: Int64, length: Int64, limit: Int) -> Bool {
        scaledEstimate(at: now, length: length) + UInt128(length) <= UInt128(limit) * UInt128(length)
    }

    /// Counts an allowed request.
    @inline(__always)
    public mutating func record() {
        current &+= 1
    }

    /// Whole requests still allowed at `now`: `floor(limit − estimate)`, never negative.
    public func remaining(at now: Int64, length: Int64, limit: Int) -> Int {
        let capacity = UInt128(limit) * UInt128(length)
        let used = scaledEstimate(at: now, length: length)
        guard capacity > used else { return 0 }
        return Int((capacity - used) / UInt128(length))
    }

    /// The earliest instant at or after `now` at which one more request fits, assuming nothing
    /// else is counted meanwhile (a refused request is never counted). The estimate only falls
    /// as time passes, so this is exact: a retry at this instant is allowed, one before it is not.
    public func nextAllowed(after now: Int64, length: Int64, limit: Int) -> Int64 {
        if allows(at: now, length: length, limit: limit) { return now }
        let start = window * length
        let elapsed = now - start
        let limit = UInt128(limit)
        let length128 = UInt128(length)
        // Later in this window: previous × (length − e) ≤ (limit − current − 1) × length.
        if UInt128(current) + 1 <= limit, previous > 0 {
            let room = (limit - UInt128(current) - 1) * length128 / UInt128(previous)
            let earliest = max(elapsed, length - Int64(min(room, length128)))
            if earliest < length { return start + earliest }
        }
        // The next window, where `current` becomes the previous count and nothing is current.
        if current == 0 { return start + length }
        let room = (limit - 1) * length128 / UInt128(current)
        let earliest = length - Int64(min(room, length128))
        if earliest < length { return start + length + earliest }
        return start + 2 * length
    }

    /// The instant from which this counter weighs nothing: the end of the window after the last
    /// one that counted a request (used to expire idle keys and for the `t` of a full quota).
    public func emptyAt(length: Int64) -> Int64 {
        if current > 0 { return (window + 2) * length }
        if previous > 0 { return (window + 1) * length }
        return window * length
    }
}
