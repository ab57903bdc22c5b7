import Foundation
import NIOCore
import Testing
@testable import Portcullis

@Suite struct LogTimestampTests {
    private func text(_ nanos: Int64, _ timestamp: inout LogTimestamp) -> String {
        var buffer = ByteBuffer()
        timestamp.write(nanoseconds: nanos, to: &buffer)
        return String(buffer: buffer)
    }

    @Test func matchesFoundationAcrossTheCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var timestamp = LogTimestamp()
        var generator = SplitMix64(seed: 7)
        // Leap days, century years, end of year, and random instants from 1970 to 2100.
        var instants: [Int64] = [0, 951_782_400_000_000_000, 4_107_542_399_999_000_000, 1_709_164_800_123_000_000, 1_735_689_599_999_999_999]
        for _ in 0..<2_000 { instants.append(Int64(generator.next() % 4_102_444_800_000) * 1_000_000 + Int64(generator.next() % 1_000_000)) }
        for nanos in instants {
            let seconds = nanos / 1_000_000_000
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!,
                Int(nanos % 1_000_000_000 / 1_000_000))
            #expect(text(nanos, &timestamp) == "\"\(expected)\"", "at \(nanos)")
        }
    }

    @Test func theCachedSecondIsReusedAndReplaced() {
        var timestamp = LogTimestamp()
        #expect(text(1_740_832_496_001_000_000, &timestamp) == "\"2025-03-01T12:34:56.001Z\"")
        #expect(text(1_740_832_496_999_000_000, &timestamp) == "\"2025-03-01T12:34:56.999Z\"")
        #expect(text(1_740_832_497_000_000_000, &timestamp) == "\"2025-03-01T12:34:57.000Z\"")
        #expect(text(1_740_832_496_500_000_000, &timestamp) == "\"2025-03-01T12:34:56.500Z\"")
    }
}
