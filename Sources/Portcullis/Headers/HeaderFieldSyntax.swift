/// Checks header names and values a policy writes into responses against RFC 9110 §5.
enum HeaderFieldSyntax {
    /// `tchar` (RFC 9110 §5.6.2): the characters of a token, which a field name is.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Why `name` is not a field name, or nil.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a header name must not be empty" }
        for (offset, scalar) in name.unicodeScalars.enumerated() where !(scalar.isASCII && isTokenByte(UInt8(scalar.value))) {
            return "the header name '\(name)' has \(describe(scalar)) at character \(offset + 1); expected letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110 token)"
        }
        return nil
    }

    /// Why `value` is not a field value, or nil. RFC 9110 §5.5: no CR, LF or NUL (nor other
    /// control characters except tab), no leading or trailing whitespace; non-ASCII is refused
    /// too (obs-text is obsolete and clients disagree about its encoding).
    static func valueProblem(_ value: String, header: String) -> String? {
        if value.isEmpty { return "header '\(header)' has an empty value; expected a value (use remove to drop a header)" }
        for (offset, scalar) in value.unicodeScalars.enumerated() {
            let v = scalar.value
            if v == 0x09 { continue }
            if v < 0x20 || v == 0x7F {
                return "header '\(header)' has \(describe(scalar)) at character \(offset + 1); expected a field value without CR, LF, NUL or other control characters (RFC 9110 §5.5)"
            }
            if v > 0x7F {
                return "header '\(header)' has the non-ASCII character '\(scalar)' at character \(offset + 1); expected ASCII (percent-encode URLs)"
            }
        }
        if let first = value.unicodeScalars.first, first == " " || first == "\t" {
            return "header '\(header)' starts with whitespace; expected a value without leading or trailing whitespace (RFC 9110 §5.5)"
        }
        if let last = value.unicodeScalars.last, last == " " || last == "\t" {
            return "header '\(header)' ends with whitespace; expected a value without leading or trailing whitespace (RFC 9110 §5.5)"
        }
        return nil
    }

    /// Headers that frame the message or describe one connection: the gateway owns them, and a
    /// policy that set or removed them would corrupt the response.
    static func isManagedByGateway(_ name: String) -> Bool {
        let kind = HeaderName.classify(name)
        return kind.isHopByHop || kind == .contentLength
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x0D: return "a carriage return (CR)"
        case 0x0A: return "a line feed (LF)"
        case 0x00: return "a NUL byte"
        case 0x09: return "a tab"
        case 0x20: return "a space"
        case 0..<0x20, 0x7F: return "the control character U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4))"
        default: return "the character '\(scalar)'"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
