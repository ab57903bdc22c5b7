import NIOCore

/// Writes JSON values straight into a `ByteBuffer`, for log lines built on an event loop: no
/// intermediate `String`, no `Foundation`, no allocation beyond the buffer's own growth.
public enum JSONLine {
    /// A quoted, escaped JSON string.
    public static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        writeEscaped(string, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// The escaped content of a JSON string, without quotes (callers join several pieces into one).
    public static func writeEscaped(_ string: String, to buffer: inout ByteBuffer) {
        var string = string
        // Native strings are contiguous: escape in runs, copying the clean stretches in one go.
        string.withUTF8 { bytes in writeEscaped(bytes: bytes, to: &buffer) }
    }

    /// Escapes `"`, `\`, every control character (C0 and DEL: no terminal escape sequence survives
    /// into a log viewer) and U+2028/U+2029 (which end a line in JavaScript). A `String` is always
    /// valid UTF-8 (invalid input was repaired to U+FFFD when it was decoded), so the rest is copied.
    public static func writeEscaped(bytes: UnsafeBufferPointer<UInt8>, to buffer: inout ByteBuffer) {
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte != 0x7F, byte != 0xE2 {
                index += 1
                continue
            }
            if byte == 0xE2 {
                // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
                guard index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] & 0xFE == 0xA8 else {
                    index += 1
                    continue
                }
                flush(bytes, from: runStart, to: index, into: &buffer)
                buffer.writeStaticString(bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                index += 3
                runStart = index
                continue
            }
            flush(bytes, from: runStart, to: index, into: &buffer)
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            default:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hexDigit(byte >> 4))
                buffer.writeInteger(hexDigit(byte & 0xF))
            }
            index += 1
            runStart = index
        }
        flush(bytes, from: runStart, to: count, into: &buffer)
    }

    static func flush(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, into buffer: inout ByteBuffer) {
        if end > start { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<end])) }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// A non-negative decimal integer without going through `String`.
    public static func writeInteger<T: BinaryInteger>(_ value: T, to buffer: inout ByteBuffer) {
        if value < 0 {
            buffer.writeInteger(UInt8(ascii: "-"))
            writeUnsigned(UInt64(clamping: -Int64(clamping: value)), to: &buffer)
        } else {
            writeUnsigned(UInt64(clamping: value), to: &buffer)
        }
    }

    static func writeUnsigned(_ value: UInt64, to buffer: inout ByteBuffer) {
        if value < 10 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // 20 digits hold any UInt64; written backwards into scratch space reserved in the buffer.
        var digits = 0
        var rest = value
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        rest = value
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { raw in
            var position = digits
            while position > 0 {
                position -= 1
                raw[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            return digits
        }
    }

    /// Nanoseconds as milliseconds with three decimals (microsecond precision): `1234567` → `1.234`.
    /// Fixed-point, so no floating-point formatting and no `String`.
    public static func writeMilliseconds(nanoseconds: Int64, to buffer: inout ByteBuffer) {
        let micros = max(nanoseconds, 0) / 1_000
        writeUnsigned(UInt64(micros / 1_000), to: &buffer)
        let fraction = Int(micros % 1_000)
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(fraction / 100))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}
