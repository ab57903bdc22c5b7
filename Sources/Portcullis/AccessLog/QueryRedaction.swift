import NIOCore

/// Writes a query string with every value replaced by `REDACTED` and the parameter names kept:
/// `page=2&token=abc` → `page=REDACTED&token=REDACTED`. A segment without `=` (`?abc123`) is
/// treated as a value, and a "name" that does not look like one (longer than 32 bytes, or with
/// characters other than letters, digits and `_ . - [ ] %`) is redacted too, so a token smuggled
/// into the name position does not reach the log either. Empty values stay empty (`a=`).
/// What cannot be told apart: a short value sent as a name (`?hunter2=1`) is logged as one.
public enum QueryRedaction {
    public static let placeholder: StaticString = "REDACTED"
    static let maxNameBytes = 32

    /// Bytes the redacted form of a `count`-byte query may take (`x&` → `REDACTED&`).
    static func bound(_ count: Int) -> Int { count * 9 + 16 }

    /// Writes the redacted form of `query` (without the `?`), JSON-safe, no quotes.
    static func write(query: UnsafeBufferPointer<UInt8>, to buffer: inout JSONRawWriter) {
        var segmentStart = 0
        let count = query.count
        while segmentStart <= count {
            var segmentEnd = segmentStart
            while segmentEnd < count, query[segmentEnd] != UInt8(ascii: "&") { segmentEnd += 1 }
            if segmentStart > 0 { buffer.byte(UInt8(ascii: "&")) }
            writeSegment(UnsafeBufferPointer(rebasing: query[segmentStart..<segmentEnd]), to: &buffer)
            segmentStart = segmentEnd + 1
        }
    }

    private static func writeSegment(_ segment: UnsafeBufferPointer<UInt8>, to buffer: inout JSONRawWriter) {
        guard !segment.isEmpty else { return }
        guard let equals = segment.firstIndex(of: UInt8(ascii: "=")) else {
            buffer.raw(placeholder)
            return
        }
        let name = UnsafeBufferPointer(rebasing: segment[..<equals])
        if isNameLike(name) {
            buffer.raw(name)
        } else {
            buffer.raw(placeholder)
        }
        buffer.byte(UInt8(ascii: "="))
        if equals + 1 < segment.count { buffer.raw(placeholder) }
    }

    /// Only bytes that need no JSON escaping pass, so the name is copied as is.
    static func isNameLike(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !name.isEmpty, name.count <= maxNameBytes else { return false }
        for byte in name {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// The redacted form as a `String` (tests, tools).
    public static func redact(_ query: String) -> String {
        var buffer = ByteBuffer()
        var query = query
        query.withUTF8 { bytes in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound(bytes.count)) { raw in
                var writer = JSONRawWriter(raw)
                write(query: bytes, to: &writer)
                return writer.position
            }
        }
        return String(buffer: buffer)
    }
}
