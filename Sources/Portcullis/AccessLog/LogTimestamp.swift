import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 UTC timestamps with milliseconds (`2025-03-01T12:34:56.789Z`) for log lines. The
/// calendar part changes once a second, so it is formatted once a second and copied otherwise:
/// one per event loop (not thread-safe), so a line costs a clock read and a 24-byte copy.
public struct LogTimestamp {
    private var cachedSecond: Int64 = .min
    /// `YYYY-MM-DDTHH:MM:SS` of `cachedSecond`, 19 bytes.
    private var prefix: (UInt64, UInt64, UInt64) = (0, 0, 0)

    public init() {}

    /// Wall-clock nanoseconds since the Unix epoch (vDSO: no system call on Linux).
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// Bytes `write` takes.
    static let quotedLength = 26

    /// Writes the quoted timestamp of `nanoseconds` since the epoch.
    public mutating func write(nanoseconds: Int64, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.quotedLength) { raw in
            var writer = JSONRawWriter(raw)
            write(nanoseconds: nanoseconds, to: &writer)
            return writer.position
        }
    }

    mutating func write(nanoseconds: Int64, to writer: inout JSONRawWriter) {
        let second = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds + 1) / 1_000_000_000 - 1
        if second != cachedSecond { format(second: second) }
        let millis = Int((nanoseconds - second * 1_000_000_000) / 1_000_000)
        writer.byte(UInt8(ascii: "\""))
        withUnsafeBytes(of: &prefix) { raw in writer.raw(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<19])) }
        writer.byte(UInt8(ascii: "."))
        writer.byte(UInt8(ascii: "0") + UInt8(millis / 100))
        writer.byte(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
        writer.byte(UInt8(ascii: "0") + UInt8(millis % 10))
        writer.raw("Z\"")
    }

    private mutating func format(second: Int64) {
        cachedSecond = second
        let days = second >= 0 ? second / 86_400 : (second + 1) / 86_400 - 1
        let secondOfDay = Int(second - days * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        withUnsafeMutableBytes(of: &prefix) { raw in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var rest = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    raw[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(Int(min(max(year, 0), 9999)), 4, at: 0)
            raw[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            raw[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            raw[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 11)
            raw[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, 2, at: 14)
            raw[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 17)
        }
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
