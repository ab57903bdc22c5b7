/// Parsing and printing of the durations and sizes that configuration and policy files use.
public enum Units {
    private static let durationUnits: [(suffix: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000), ("us", 1_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// `250ms`, `2s`, `1.5s`, `5m`, `1h`, `7d` → nanoseconds. A bare number is not accepted: a unit is required.
    public static func parseDuration(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        for (suffix, scale) in durationUnits where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
                let value = Double(number), value.isFinite, value >= 0
            else { continue }
            let nanos = value * Double(scale)
            guard nanos < Double(Int64.max) else { return nil }
            return Int64(nanos)
        }
        return nil
    }

    public static func formatDuration(_ nanoseconds: Int64) -> String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        return "\(nanoseconds / 1_000)us"
    }

    private static let sizeUnits: [(suffix: String, bytes: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
    ]

    /// `512`, `512B`, `16KiB`, `64MiB`, `1GiB`, `10MB` → bytes.
    public static func parseByteSize(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        if !trimmed.isEmpty, trimmed.allSatisfy(\.isNumber), let plain = Int(trimmed) { return plain }
        for (suffix, scale) in sizeUnits where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingWhitespace()
            guard number.allSatisfy(\.isNumber), let value = Int(number) else { continue }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
