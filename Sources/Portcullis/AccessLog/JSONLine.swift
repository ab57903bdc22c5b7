import NIOCore

/// JSON values written straight into a `ByteBuffer` (no intermediate `String`, no `Foundation`):
/// each call reserves room for its worst case and lets `JSONRawWriter` fill it.
public enum JSONLine {
    /// A quoted, escaped JSON string.
    public static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: JSONRawWriter.escapedBound(string.utf8.count) + 2) { raw in
            var writer = JSONRawWriter(raw)
            writer.quoted(string)
            return writer.position
        }
    }

    /// The escaped content of a JSON string, without quotes (see `JSONRawWriter.escaped`).
    public static func writeEscaped(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: JSONRawWriter.escapedBound(string.utf8.count)) { raw in
            var writer = JSONRawWriter(raw)
            writer.escaped(string)
            return writer.position
        }
    }

    /// A decimal integer without going through `String`.
    public static func writeInteger<T: BinaryInteger>(_ value: T, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { raw in
            var writer = JSONRawWriter(raw)
            writer.integer(value)
            return writer.position
        }
    }

    /// Nanoseconds as milliseconds with three decimals: `1234567` → `1.234`.
    public static func writeMilliseconds(nanoseconds: Int64, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { raw in
            var writer = JSONRawWriter(raw)
            writer.milliseconds(nanoseconds: nanoseconds)
            return writer.position
        }
    }
}
