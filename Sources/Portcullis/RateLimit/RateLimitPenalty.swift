/// A rule's `penalty`: after `afterViolations` refused requests within `within`, the key is
/// banned for `ban`; each further ban while the key is remembered (`forgetAfter` after the last
/// ban ends) lasts `growth` times longer than the one before, up to `maxBan`.
public struct RateLimitPenalty: Sendable, Hashable {
    public var afterViolations: Int
    /// Nanoseconds, as are the durations below.
    public var within: Int64
    public var ban: Int64
    public var growth: Int
    public var maxBan: Int64
    public var forgetAfter: Int64

    public init(afterViolations: Int, within: Int64, ban: Int64, growth: Int = 2, maxBan: Int64? = nil, forgetAfter: Int64? = nil) {
        self.afterViolations = afterViolations
        self.within = within
        self.ban = ban
        self.growth = growth
        self.maxBan = maxBan ?? max(ban, 86_400_000_000_000)
        self.forgetAfter = forgetAfter ?? max(ban, 86_400_000_000_000)
    }

    /// The length of the ban at `level` (0 for the first): `ban × growth^level`, at most `maxBan`.
    public func duration(level: Int) -> Int64 {
        var duration = ban
        for _ in 0..<level {
            let (next, overflow) = duration.multipliedReportingOverflow(by: Int64(growth))
            if overflow || next >= maxBan { return maxBan }
            duration = next
        }
        return min(duration, maxBan)
    }
}
