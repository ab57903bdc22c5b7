import NIOHTTP1

/// A rule's `key`: one part or several joined by `+` (`ip+header:X-Api-Key`), all of which must
/// be present for the request to be counted under it.
public struct RateLimitKeySpec: Sendable, Hashable, CustomStringConvertible {
    public let parts: [RateLimitKeyPart]

    public init(parts: [RateLimitKeyPart]) {
        self.parts = parts
    }

    public var description: String { parts.map(\.description).joined(separator: "+") }

    /// What logs say about the key: its kinds (`ip+header`), never a client's value.
    public var kinds: String { parts.map(\.kind).joined(separator: "+") }

    public var usesToken: Bool { parts.contains { if case .jwtClaim = $0 { return true } else { return false } } }

    /// The outcome of building a key from a request.
    public enum Outcome {
        case key(RateLimitKey)
        /// A part is absent (no such header, cookie, token or claim; or a forged token).
        case missing
        /// A bearer token not verified yet: verify it off the loop, then build the key again.
        case unverifiedToken(Substring)
    }

    /// Builds the key without allocating: every part's bytes go straight into the hashes.
    /// - Parameters:
    ///   - fingerprint: the rule's, so equal values under different rules never share a counter.
    ///   - tokens: the verified claims of bearer tokens (needed only for `jwt:` parts).
    public func key(fingerprint: UInt64, client: IPAddress, headers: HTTPHeaders, tokens: JWTClaimVerifier?, now: Int64) -> Outcome {
        var hasher = RateLimitKeyHasher(fingerprint: fingerprint)
        for (index, part) in parts.enumerated() {
            hasher.combine(UInt64(index))
            switch part {
            case .address:
                Self.combine(client, into: &hasher)
            case .ipv4Prefix(let length):
                if case .v4 = client { Self.combine(IPNetwork.mask(client, length), into: &hasher) } else { Self.combine(IPNetwork.mask(client, 64), into: &hasher) }
            case .ipv6Prefix(let length):
                if case .v6 = client { Self.combine(IPNetwork.mask(client, length), into: &hasher) } else { Self.combine(client, into: &hasher) }
            case .header(let name):
                guard let value = Self.firstValue(headers, lowercasedName: name), !value.isEmpty else { return .missing }
                hasher.combine(utf8: value)
            case .cookie(let name):
                guard let value = Self.cookie(named: name, in: headers), !value.isEmpty else { return .missing }
                hasher.combine(utf8: value)
            case .jwtClaim(let claim):
                guard let tokens, let token = Self.bearerToken(in: headers) else { return .missing }
                switch tokens.cachedClaims(for: token, now: now) {
                case .verified(let claims):
                    guard let value = claims[claim], !value.isEmpty else { return .missing }
                    hasher.combine(utf8: value)
                case .refused:
                    return .missing
                case .unknown:
                    return .unverifiedToken(token)
                }
            }
        }
        return .key(hasher.finalize())
    }

    @inline(__always)
    private static func combine(_ address: IPAddress, into hasher: inout RateLimitKeyHasher) {
        switch address {
        case .v4(let value):
            hasher.combine(UInt64(value))
        case .v6(let value):
            hasher.combine(UInt64(truncatingIfNeeded: value >> 64) | 1 << 63)  // never equal to an IPv4 key
            hasher.combine(UInt64(truncatingIfNeeded: value))
        }
    }

    /// The first field's value, trimmed of surrounding whitespace (as the field value is defined).
    @inline(__always)
    static func firstValue(_ headers: HTTPHeaders, lowercasedName: String) -> Substring? {
        for (name, value) in headers where ASCIICaseInsensitive.equals(name, lowercased: lowercasedName) {
            return trimmed(value[...])
        }
        return nil
    }

    /// `Authorization: Bearer TOKEN` (the scheme is case-insensitive, RFC 9110 §11.1).
    static func bearerToken(in headers: HTTPHeaders) -> Substring? {
        guard let value = firstValue(headers, lowercasedName: "authorization") else { return nil }
        guard value.utf8.count > 7 else { return nil }
        // "bearer " compared byte by byte, case-insensitively, without making a string.
        for (byte, expected) in zip(value.utf8.prefix(7), "bearer ".utf8) where (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) != expected {
            return nil
        }
        let token = trimmed(value.dropFirst(7))
        return token.isEmpty ? nil : token
    }

    /// The value of cookie `name` in any `Cookie` field (`a=1; b=2`), without surrounding quotes.
    static func cookie(named name: String, in headers: HTTPHeaders) -> Substring? {
        for (field, value) in headers where ASCIICaseInsensitive.equals(field, lowercased: "cookie") {
            for pair in value.split(separator: ";") {
                let pair = trimmed(pair)
                guard let equals = pair.firstIndex(of: "="), pair[..<equals].utf8.elementsEqual(name.utf8) else { continue }
                var cookieValue = trimmed(pair[pair.index(after: equals)...])
                if cookieValue.count >= 2, cookieValue.first == "\"", cookieValue.last == "\"" { cookieValue = cookieValue.dropFirst().dropLast() }
                return cookieValue
            }
        }
        return nil
    }

    @inline(__always)
    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.utf8.first, first == 0x20 || first == 0x09 { text = text.dropFirst() }
        while let last = text.utf8.last, last == 0x20 || last == 0x09 { text = text.dropLast() }
        return text
    }

    /// Parses `ip`, `ip/24`, `ip6/64`, `header:NAME`, `cookie:NAME`, `jwt:CLAIM`, or parts
    /// joined by `+`; the error is the whole diagnostic message (without the rule prefix).
    static func parse(_ text: String, path: String) -> Result<RateLimitKeySpec, KeySpecError> {
        guard !text.isEmpty else { return .failure(KeySpecError(message: "\(path) must not be empty; expected ip, ip/24, ip6/64, header:NAME, cookie:NAME or jwt:CLAIM, or parts joined by '+'")) }
        var parts: [RateLimitKeyPart] = []
        for piece in text.split(separator: "+", omittingEmptySubsequences: false) {
            switch RateLimitKeyPart.parse(piece) {
            case .success(let part):
                if parts.contains(part) { return .failure(KeySpecError(message: "\(path) names '\(part)' twice in '\(text)'; expected each part once")) }
                parts.append(part)
            case .failure(.unknownKind(let kind)):
                var message = "\(path) has the unknown key kind '\(kind)' in '\(text)'"
                if let suggestion = Spelling.closest(to: kind, among: RateLimitKeyPart.kindNames) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; expected ip, ip/24, ip6/64, header:NAME, cookie:NAME or jwt:CLAIM, or parts joined by '+'"
                }
                return .failure(KeySpecError(message: message))
            case .failure(.badPrefix(let written, let kind, let maximum)):
                return .failure(KeySpecError(message: "\(path) has '\(written)'; expected \(kind)/N with N from 1 to \(maximum), like \(kind == "ip" ? "ip/24" : "ip6/64")"))
            case .failure(.badArgument(let written, let problem)):
                return .failure(KeySpecError(message: "\(path) has '\(written)': \(problem)"))
            }
        }
        return .success(RateLimitKeySpec(parts: parts))
    }

    struct KeySpecError: Error {
        var message: String
    }
}
