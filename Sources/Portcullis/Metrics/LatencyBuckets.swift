/// The histogram buckets for every duration the gateway records: fine below a millisecond, where
/// the gateway's own overhead lives, and wide enough above for slow upstreams.
enum LatencyBuckets {
    /// Upper bounds, in nanoseconds; a last, implicit bucket is +Inf.
    static let bounds: [Int64] = [
        50_000, 100_000, 250_000, 500_000, 750_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000,
        5_000_000_000, 10_000_000_000, 30_000_000_000, 60_000_000_000,
    ]
    /// The `le` label of each bound, in seconds as Prometheus expects.
    static let labels: [String] = [
        "5e-05", "0.0001", "0.00025", "0.0005", "0.00075",
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
        "0.1", "0.25", "0.5", "1", "2.5",
        "5", "10", "30", "60",
    ]
    /// Buckets per series, +Inf included.
    static let count = bounds.count + 1

    /// The bucket a duration falls in (`bounds.count` for +Inf).
    @inline(__always)
    static func index(of nanoseconds: Int64) -> Int {
        var index = 0
        while index < bounds.count, nanoseconds > bounds[index] { index += 1 }
        return index
    }
}
