#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a JSON line into memory the caller has reserved (`ByteBuffer.writeWithUnsafeMutableBytes`
/// with an upper bound of the line's length): one capacity check per line instead of one per
/// token, which is most of the cost of building a line with `ByteBuffer`'s own writes.
/// The caller's bound must hold: escaping grows text at most 6× (`\u00XX`).
struct JSONRawWriter {
    let base: UnsafeMutablePointer<UInt8>
    private(set) var position = 0

    init(_ raw: UnsafeMutableRawBufferPointer) {
        base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
    }

    /// Bytes escaped text may take at most.
    static func escapedBound(_ count: Int) -> Int { count * 6 }

    mutating func byte(_ byte: UInt8) {
        base[position] = byte
        position += 1
    }

    /// Counts bytes someone else wrote at `base + position`.
    mutating func skip(_ count: Int) {
        position += count
    }

    mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (base + position).update(from: source, count: bytes.count)
        position += bytes.count
    }

    mutating func raw(_ text: StaticString) {
        raw(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Text known to need no escaping (enum raw values, checked names).
    mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { raw($0) }
    }

    mutating func quoted(_ text: String) {
        byte(UInt8(ascii: "\""))
        escaped(text)
        byte(UInt8(ascii: "\""))
    }

    mutating func escaped(_ text: String) {
        var text = text
        text.withUTF8 { escaped($0) }
    }

    /// Escapes `"`, `\`, every control character (C0 and DEL: no terminal escape sequence survives
    /// into a log viewer) and U+2028/U+2029 (line ends to JavaScript). A `String` is valid UTF-8
    /// (invalid input was repaired to U+FFFD when it was decoded), so everything else is copied.
    mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var index = 0
        let count = bytes.count
        let base = UnsafeRawPointer(bytes.baseAddress)
        while index < count {
            // Eight clean bytes at a time (most text is), byte by byte only near something to escape.
            if let base, index + 8 <= count, !Self.mayNeedEscaping(base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
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
                raw(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                raw(bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                index += 3
                runStart = index
                continue
            }
            raw(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            default:
                raw("\\u00")
                self.byte(Self.hexDigit(byte >> 4))
                self.byte(Self.hexDigit(byte & 0xF))
            }
            index += 1
            runStart = index
        }
        raw(UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
    }

    /// True when one of the eight bytes may be a control character, DEL, `"`, `\\` or 0xE2 (the lead
    /// byte of U+2028/U+2029). Bit tricks from "Bit Twiddling Hacks" (haszero / hasless); a false
    /// positive only sends the word to the byte loop.
    @inline(__always)
    static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highs != 0
        return below0x20 || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C)) || hasZero(word ^ (ones &* 0x7F))
            || hasZero(word ^ (ones &* 0xE2))
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// A decimal integer (at most 20 bytes).
    mutating func integer<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            unsigned(UInt64(clamping: -Int64(clamping: value)))
        } else {
            unsigned(UInt64(clamping: value))
        }
    }

    mutating func unsigned(_ value: UInt64) {
        var digits = 1
        var rest = value
        while rest >= 10 {
            digits += 1
            rest /= 10
        }
        rest = value
        var index = position + digits
        while index > position {
            index -= 1
            base[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        position += digits
    }

    /// Nanoseconds as milliseconds with three decimals (microsecond precision): `1234567` → `1.234`.
    /// Fixed-point: no floating-point formatting. At most 24 bytes.
    mutating func milliseconds(nanoseconds: Int64) {
        let micros = max(nanoseconds, 0) / 1_000
        unsigned(UInt64(micros / 1_000))
        let fraction = Int(micros % 1_000)
        byte(UInt8(ascii: "."))
        byte(UInt8(ascii: "0") + UInt8(fraction / 100))
        byte(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        byte(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}
