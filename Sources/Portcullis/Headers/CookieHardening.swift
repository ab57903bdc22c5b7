#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Adds the attributes a route's `cookies:` asks for to each `Set-Cookie` the application sends,
/// leaving an attribute the application wrote as it is (case-insensitive: `secure` counts as
/// `Secure`; an existing `SameSite=…` is kept whatever its value).
public struct CookieHardening: Sendable, Hashable {
    public var secure: Bool
    public var httpOnly: Bool
    public var sameSite: SameSite?
    /// Cookies (by exact name) left as the application sent them, e.g. a CSRF token script must read.
    public var except: [String]

    public init(secure: Bool = false, httpOnly: Bool = false, sameSite: SameSite? = nil, except: [String] = []) {
        self.secure = secure
        self.httpOnly = httpOnly
        self.sameSite = sameSite
        self.except = except
    }

    /// Whether hardening can change anything at all.
    public var isActive: Bool { secure || httpOnly || sameSite != nil }

    /// The hardened `Set-Cookie` value, or nil when it already has everything asked for
    /// (or names an excepted cookie).
    public func harden(_ value: String) -> String? {
        var contiguous = value
        let scan = contiguous.withUTF8 { Self.scan($0) }
        let addSecure = secure && !scan.hasSecure
        let addHttpOnly = httpOnly && !scan.hasHttpOnly
        let addSameSite = sameSite != nil && !scan.hasSameSite
        guard addSecure || addHttpOnly || addSameSite else { return nil }
        if !except.isEmpty {
            let utf8 = value.utf8
            let start = utf8.index(utf8.startIndex, offsetBy: scan.nameStart)
            let end = utf8.index(start, offsetBy: scan.nameEnd - scan.nameStart)
            let cookieName = Substring(utf8[start..<end])
            if except.contains(where: { $0[...] == cookieName }) { return nil }
        }

        guard scan.isASCII else {
            let sameSiteValue = addSameSite ? sameSite!.rawValue : ""
            // Drop a trailing `;` or whitespace (by Character, as written) so the result reads `a=1; Path=/; Secure`.
            var base = Substring(value)
            while let last = base.last, last == ";" || last == " " || last == "\t" { base = base.dropLast() }
            var result = String(base)
            if addSecure { result += "; Secure" }
            if addHttpOnly { result += "; HttpOnly" }
            if addSameSite { result += "; SameSite=" + sameSiteValue }
            return result
        }
        // ASCII: trimmed by byte (the same as by Character); the value and a literal suffix
        // copied into one allocation.
        let suffix = Self.suffix(secure: addSecure, httpOnly: addHttpOnly, sameSite: addSameSite ? sameSite : nil)
        let count = scan.trimmedCount + suffix.utf8.count
        return contiguous.withUTF8 { source in
            String(unsafeUninitializedCapacity: count) { target in
                if scan.trimmedCount > 0 {
                    target.baseAddress!.initialize(from: source.baseAddress!, count: scan.trimmedCount)
                }
                var suffix = suffix
                suffix.withUTF8 { bytes in
                    if let base = bytes.baseAddress {
                        (target.baseAddress! + scan.trimmedCount).initialize(from: base, count: bytes.count)
                    }
                }
                return count
            }
        }
    }

    /// The attributes to append, as literals (no allocation, no reference counting).
    private static func suffix(secure: Bool, httpOnly: Bool, sameSite: SameSite?) -> String {
        switch (secure, httpOnly, sameSite) {
        case (true, true, nil): return "; Secure; HttpOnly"
        case (true, true, .strict?): return "; Secure; HttpOnly; SameSite=Strict"
        case (true, true, .lax?): return "; Secure; HttpOnly; SameSite=Lax"
        case (true, true, .noRestriction?): return "; Secure; HttpOnly; SameSite=None"
        case (true, false, nil): return "; Secure"
        case (true, false, .strict?): return "; Secure; SameSite=Strict"
        case (true, false, .lax?): return "; Secure; SameSite=Lax"
        case (true, false, .noRestriction?): return "; Secure; SameSite=None"
        case (false, true, nil): return "; HttpOnly"
        case (false, true, .strict?): return "; HttpOnly; SameSite=Strict"
        case (false, true, .lax?): return "; HttpOnly; SameSite=Lax"
        case (false, true, .noRestriction?): return "; HttpOnly; SameSite=None"
        case (false, false, nil): return ""
        case (false, false, .strict?): return "; SameSite=Strict"
        case (false, false, .lax?): return "; SameSite=Lax"
        case (false, false, .noRestriction?): return "; SameSite=None"
        }
    }

    /// What `harden` needs to know of a value, read in one pass over its bytes.
    private struct Scan {
        var hasSecure = false, hasHttpOnly = false, hasSameSite = false
        /// The cookie name (the first segment's name, trimmed), as byte offsets.
        var nameStart = 0, nameEnd = 0
        var isASCII = true
        /// The byte count without a trailing run of `;`, space and tab.
        var trimmedCount = 0
    }

    /// Splits at `;`; each segment's name is what precedes its first `=`, without surrounding
    /// spaces and tabs; the first segment names the cookie, the others are attributes.
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Scan {
        var scan = Scan()
        let count = bytes.count
        guard let base = bytes.baseAddress, count > 0 else { return scan }
        scan.isASCII = isASCII(base, count)
        var segmentStart = 0
        var isFirst = true
        while true {
            // memchr: the first segment (name=value) is most of a cookie's bytes.
            let end = memchr(base + segmentStart, Int32(UInt8(ascii: ";")), count - segmentStart)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? count
            var nameEnd = segmentStart
            while nameEnd < end, base[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
            var start = segmentStart
            while start < nameEnd, base[start] == 0x20 || base[start] == 0x09 { start += 1 }
            while nameEnd > start, base[nameEnd - 1] == 0x20 || base[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            if isFirst {
                scan.nameStart = start
                scan.nameEnd = nameEnd
                isFirst = false
            } else {
                let name = UnsafeBufferPointer(start: base + start, count: nameEnd - start)
                if equalsIgnoringCase(name, "secure") {
                    scan.hasSecure = true
                } else if equalsIgnoringCase(name, "httponly") {
                    scan.hasHttpOnly = true
                } else if equalsIgnoringCase(name, "samesite") {
                    scan.hasSameSite = true
                }
            }
            guard end < count else { break }
            segmentStart = end + 1
        }
        var trimmed = count
        while trimmed > 0, base[trimmed - 1] == UInt8(ascii: ";") || base[trimmed - 1] == 0x20 || base[trimmed - 1] == 0x09 { trimmed -= 1 }
        scan.trimmedCount = trimmed
        return scan
    }

    /// Whether every byte is below 0x80, eight at a time.
    @inline(__always)
    private static func isASCII(_ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let raw = UnsafeRawPointer(base)
        var offset = 0
        var high: UInt64 = 0
        while offset + 8 <= count {
            high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < count {
            high |= UInt64(base[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    @inline(__always)
    private static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            var byte = bytes[index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != expected[index] { return false }
        }
        return true
    }
}
