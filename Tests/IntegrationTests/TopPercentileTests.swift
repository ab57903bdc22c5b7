import Foundation
import Portcullis
import Testing

/// The percentiles `portcullis top` computes are the ones Prometheus computes: the same bucket
/// counts go through `TopStatistics.histogramQuantile` and, in `promtool test rules`, through
/// PromQL's `histogram_quantile`.
@Suite(.timeLimit(.minutes(1)))
struct TopPercentileTests {
    @Test func histogramQuantileAgreesWithPromtool() throws {
        let bounds = ["5e-05", "0.0001", "0.00025", "0.0005", "0.00075", "0.001", "0.0025", "0.005", "0.01", "0.025",
                      "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"]
        // Per-bucket (not cumulative) counts: typical, all in the first bucket, a tail in +Inf, sparse.
        let histograms: [[Int]] = [
            [0, 3, 40, 120, 80, 31, 12, 5, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3],
            [1, 0, 0, 7, 0, 0, 0, 0, 0, 13, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0],
        ]
        let quantiles = [0.5, 0.9, 0.99, 0.999]
        var yaml = "rule_files: []\nevaluation_interval: 1m\ntests:\n"
        var compared = 0
        for (index, counts) in histograms.enumerated() {
            var cumulative = 0
            var buckets: [(upperBound: Double, count: Double)] = []
            yaml += "  - interval: 1m\n    input_series:\n"
            for (bound, count) in zip(bounds, counts) {
                cumulative += count
                buckets.append((upperBound: bound == "+Inf" ? .infinity : Double(bound)!, count: Double(cumulative)))
                yaml += "      - { series: 'h\(index)_bucket{le=\"\(bound)\"}', values: '\(cumulative)' }\n"
            }
            yaml += "    promql_expr_test:\n"
            for q in quantiles {
                let expected = try #require(TopStatistics.histogramQuantile(q, buckets))
                yaml += "      - expr: histogram_quantile(\(q), sum by (le) (h\(index)_bucket))\n        eval_time: 0m\n        exp_samples: [{ labels: '{}', value: \(expected) }]\n"
                compared += 1
            }
        }
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("quantiles.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try Command.run("/usr/bin/promtool", ["test", "rules", file.path])
        #expect(result.status == 0, "promtool disagrees:\n\(result.standardOutput)\(result.standardError)")
        #expect(compared == 16)
    }
}
