/// Just enough JSON encoding for the demo's responses.
///
/// Hand-rolled rather than `JSONEncoder` so the keys come out in the documented order
/// (readable with curl, stable for tests) and the library needs no Foundation.
enum DemoJSON {
    /// `value` as a quoted JSON string literal.
    static func string(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + hexDigit(scalar.value >> 4) + hexDigit(scalar.value & 0xF)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// `value` as a JSON string, or `null` when absent.
    static func optionalString(_ value: String?) -> String {
        value.map(string) ?? "null"
    }

    /// Lowercase hexadecimal rendering of `bytes` (used for digests).
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = ""
        for byte in bytes {
            out += hexDigit(UInt32(byte >> 4)) + hexDigit(UInt32(byte & 0xF))
        }
        return out
    }

    private static func hexDigit(_ nibble: UInt32) -> String {
        String(UnicodeScalar(UInt8(nibble < 10 ? 48 + nibble : 87 + nibble)))
    }
}
