import Testing
@testable import Portcullis

@Suite struct UnitsTests {
    @Test(arguments: [
        ("250ms", Int64(250_000_000)),
        ("2s", 2_000_000_000),
        ("1.5s", 1_500_000_000),
        ("5m", 300_000_000_000),
        ("1h", 3_600_000_000_000),
        ("7d", 604_800_000_000_000),
        ("100us", 100_000),
        (" 10s ", 10_000_000_000),
    ])
    func parsesDurations(text: String, nanoseconds: Int64) {
        #expect(Units.parseDuration(text) == nanoseconds)
    }

    @Test(arguments: ["10", "ms", "-1s", "1x", "", "s", "1.2.3s", "ten s", "1e3s", "999999999999d"])
    func rejectsDurations(text: String) {
        #expect(Units.parseDuration(text) == nil)
    }

    @Test(arguments: [
        ("512", 512),
        ("512B", 512),
        ("16KiB", 16 * 1024),
        ("64MiB", 64 * 1024 * 1024),
        ("1GiB", 1024 * 1024 * 1024),
        ("10MB", 10_000_000),
        ("2KB", 2_000),
        ("1GB", 1_000_000_000),
        ("0", 0),
    ])
    func parsesByteSizes(text: String, bytes: Int) {
        #expect(Units.parseByteSize(text) == bytes)
    }

    @Test(arguments: ["12 parsecs", "-1", "KiB", "", "1.5MiB", "16kib", "9223372036854775807KiB", "99999999999999999999", "9000000000GiB"])
    func rejectsByteSizes(text: String) {
        #expect(Units.parseByteSize(text) == nil)
    }

    @Test(arguments: [
        (Int64(2_000_000_000), "2s"),
        (250_000_000, "250ms"),
        (1_500_000_000, "1500ms"),
        (1_000_000, "1ms"),
        (5_000, "5us"),
        (0, "0s"),
        (600_000_000_000, "600s"),
    ])
    func formatsDurations(nanoseconds: Int64, text: String) {
        #expect(Units.formatDuration(nanoseconds) == text)
    }

    @Test func formattedDurationsParseBack() {
        for nanos: Int64 in [1_000, 1_000_000, 250_000_000, 2_000_000_000, 86_400_000_000_000] {
            #expect(Units.parseDuration(Units.formatDuration(nanos)) == nanos)
        }
    }
}
