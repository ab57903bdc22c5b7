/// Several histograms of one family (one per label set), stored flat: plain integers that only
/// one event loop writes, so recording is a few additions with no lock and no atomic.
struct HistogramSet {
    let seriesCount: Int
    /// `seriesCount` × `LatencyBuckets.count` counts, not cumulative (rendering accumulates).
    private(set) var counts: [Int]
    /// Sum of the recorded durations per series, in nanoseconds.
    private(set) var sums: [Int64]

    init(seriesCount: Int) {
        self.seriesCount = seriesCount
        counts = Array(repeating: 0, count: seriesCount * LatencyBuckets.count)
        sums = Array(repeating: 0, count: seriesCount)
    }

    @inline(__always)
    mutating func record(series: Int, nanoseconds: Int64) {
        let value = max(0, nanoseconds)
        counts[series * LatencyBuckets.count + LatencyBuckets.index(of: value)] += 1
        sums[series] &+= value
    }

    mutating func add(_ other: HistogramSet) {
        for index in counts.indices { counts[index] += other.counts[index] }
        for index in sums.indices { sums[index] &+= other.sums[index] }
    }

    /// Observations of one series.
    func total(series: Int) -> Int {
        counts[(series * LatencyBuckets.count)..<((series + 1) * LatencyBuckets.count)].reduce(0, +)
    }

    func bucket(series: Int, index: Int) -> Int { counts[series * LatencyBuckets.count + index] }
    func sum(series: Int) -> Int64 { sums[series] }
}
