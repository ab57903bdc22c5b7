/// One part of a rate-limit key: what identifies "the same client" for a rule.
public enum RateLimitKeyPart: Sendable, Hashable, CustomStringConvertible {
    /// `ip`: the client address (resolved through trusted proxies), whole.
    case address
    /// `ip/N`: IPv4 clients grouped by their /N block, so rotating addresses inside the block does
    /// not dodge the limit; IPv6 clients are grouped by their /64 (one subscriber's usual share).
    case ipv4Prefix(Int)
    /// `ip6/N`: IPv6 clients grouped by their /N block; IPv4 clients are taken whole.
    case ipv6Prefix(Int)
    /// `header:NAME`: the first value of a request header (stored lowercased for lookups).
    case header(String)
    /// `cookie:NAME`: the value of a request cookie (names are case-sensitive).
    case cookie(String)
    /// `jwt:CLAIM`: a claim of the bearer token in `Authorization`, after its signature is verified.
    case jwtClaim(String)

    /// The kinds as written, for messages and "did you mean".
    static let kindNames = ["ip", "ip6", "header", "cookie", "jwt"]

    /// Whether the part is always present (the client address always is).
    public var isAddress: Bool {
        switch self {
        case .address, .ipv4Prefix, .ipv6Prefix: return true
        case .header, .cookie, .jwtClaim: return false
        }
    }

    /// The kind of the part without its argument (`ip/24` → `ip`, `header:X-Api-Key` → `header`):
    /// what logs and metrics say about a key, never the client's value.
    public var kind: String {
        switch self {
        case .address, .ipv4Prefix: return "ip"
        case .ipv6Prefix: return "ip6"
        case .header: return "header"
        case .cookie: return "cookie"
        case .jwtClaim: return "jwt"
        }
    }

    public var description: String {
        switch self {
        case .address: return "ip"
        case .ipv4Prefix(let length): return "ip/\(length)"
        case .ipv6Prefix(let length): return "ip6/\(length)"
        case .header(let name): return "header:\(name)"
        case .cookie(let name): return "cookie:\(name)"
        case .jwtClaim(let claim): return "jwt:\(claim)"
        }
    }

    /// Parses one part; the error is a sentence fragment for a diagnostic.
    static func parse(_ text: Substring) -> Result<RateLimitKeyPart, KeyProblem> {
        if text == "ip" { return .success(.address) }
        if let slash = text.firstIndex(of: "/"), !text.contains(":") {
            let kind = text[..<slash], number = text[text.index(after: slash)...]
            let maximum: Int
            switch kind {
            case "ip": maximum = 32
            case "ip6": maximum = 128
            default: return .failure(.unknownKind(String(kind)))
            }
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), let length = Int(number), (1...maximum).contains(length) else {
                return .failure(.badPrefix(String(text), kind: String(kind), maximum: maximum))
            }
            return .success(kind == "ip" ? .ipv4Prefix(length) : .ipv6Prefix(length))
        }
        guard let colon = text.firstIndex(of: ":") else {
            return .failure(text == "ip6" ? .badPrefix(String(text), kind: "ip6", maximum: 128) : .unknownKind(String(text)))
        }
        let kind = text[..<colon], argument = String(text[text.index(after: colon)...])
        switch kind {
        case "header":
            if let problem = HeaderFieldSyntax.nameProblem(argument) { return .failure(.badArgument(String(text), problem)) }
            return .success(.header(argument.lowercased()))
        case "cookie":
            guard !argument.isEmpty, argument.utf8.allSatisfy(RateLimitKeyPart.isTokenByte) else {
                return .failure(.badArgument(String(text), "the cookie name must be a token (letters, digits and !#$%&'*+-.^_`|~)"))
            }
            return .success(.cookie(argument))
        case "jwt":
            guard !argument.isEmpty, argument.utf8.count <= 64, argument.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) else {
                return .failure(.badArgument(String(text), "the claim name must be 1 to 64 visible ASCII characters, like sub"))
            }
            return .success(.jwtClaim(argument))
        default:
            return .failure(.unknownKind(String(kind)))
        }
    }

    /// RFC 9110 token characters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    enum KeyProblem: Error {
        case unknownKind(String)
        case badPrefix(String, kind: String, maximum: Int)
        case badArgument(String, String)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
