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
        var hasSecure = false, hasHttpOnly = false, hasSameSite = false
        var cookieName: Substring = ""
        var isFirst = true
        var utf8 = value.utf8[...]
        while true {
            let end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
            let segment = utf8[utf8.startIndex..<end]
            let nameEnd = segment.firstIndex(of: UInt8(ascii: "=")) ?? segment.endIndex
            let name = Self.trim(segment[segment.startIndex..<nameEnd])
            if isFirst {
                cookieName = Substring(name)
                isFirst = false
            } else if Self.equalsIgnoringCase(name, "secure") {
                hasSecure = true
            } else if Self.equalsIgnoringCase(name, "httponly") {
                hasHttpOnly = true
            } else if Self.equalsIgnoringCase(name, "samesite") {
                hasSameSite = true
            }
            guard end < utf8.endIndex else { break }
            utf8 = utf8[utf8.index(after: end)...]
        }
        let addSecure = secure && !hasSecure
        let addHttpOnly = httpOnly && !hasHttpOnly
        let addSameSite = sameSite != nil && !hasSameSite
        guard addSecure || addHttpOnly || addSameSite else { return nil }
        if !except.isEmpty, except.contains(where: { $0[...] == cookieName }) { return nil }

        // Drop a trailing `;` or whitespace so the result reads `a=1; Path=/; Secure`.
        var base = Substring(value)
        while let last = base.last, last == ";" || last == " " || last == "\t" { base = base.dropLast() }
        var result = String(base)
        result.reserveCapacity(base.utf8.count + 40)
        if addSecure { result += "; Secure" }
        if addHttpOnly { result += "; HttpOnly" }
        if addSameSite, let sameSite { result += "; SameSite=" + sameSite.rawValue }
        return result
    }

    private static func trim(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return bytes
    }

    private static func equalsIgnoringCase(_ bytes: Substring.UTF8View.SubSequence, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        var index = 0
        for var byte in bytes {
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != expected[index] { return false }
            index += 1
        }
        return true
    }
}
