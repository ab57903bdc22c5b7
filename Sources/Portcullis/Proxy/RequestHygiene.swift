import NIOHTTP1

/// Checks a request head that NIO's parser accepted against the stricter rules of a gateway:
/// anything two HTTP parsers could read differently is refused before it is forwarded.
/// NIO's llhttp already rejects obsolete line folding, bare LF, NUL and other control bytes,
/// header lines without a colon, HTTP/0.9, bad chunk sizes and `Content-Length` with `Transfer-Encoding`.
public struct RequestHygiene: Sendable {
    public enum Framing: Equatable, Sendable {
        case none
        case contentLength(Int)
        case chunked
    }

    /// What the rest of the request path needs to know about a head that passed.
    public struct Accepted: Sendable {
        /// Host used for routing: lowercased, without port.
        public var host: String
        /// The `Host` value to forward (from the header, or from an absolute-form target).
        public var authority: String
        /// Origin-form target (`/path?query`) to forward.
        public var target: String
        public var framing: Framing
        /// `Connection: upgrade` with an `Upgrade` header: NIO's parser stops after such a request.
        public var wantsUpgrade: Bool
    }

    public let maxURIBytes: Int

    public init(maxURIBytes: Int) {
        self.maxURIBytes = maxURIBytes
    }

    public func check(_ head: HTTPRequestHead, serverNames: [String]) -> Result<Accepted, ProblemResponse> {
        guard head.version.major == 1, head.version.minor <= 1 else {
            return .failure(ProblemResponse(status: .httpVersionNotSupported, slug: "http-version", detail: "HTTP/\(head.version.major).\(head.version.minor) is not supported; use HTTP/1.1"))
        }
        guard head.uri.utf8.count <= maxURIBytes else {
            return .failure(ProblemResponse(status: .uriTooLong, slug: "uri-too-long", detail: "the request target is \(head.uri.utf8.count) bytes; the limit is \(maxURIBytes)"))
        }
        if head.method == .CONNECT {
            return .failure(ProblemResponse(status: .methodNotAllowed, slug: "connect-not-allowed", detail: "CONNECT is not served by this gateway", extraHeaders: [("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")]))
        }

        // Framing: at most one Content-Length with one plain decimal value; Transfer-Encoding exactly `chunked`.
        let lengths = head.headers[canonicalForm: "content-length"]
        let encodings = head.headers[canonicalForm: "transfer-encoding"]
        var framing = Framing.none
        if !encodings.isEmpty {
            guard lengths.isEmpty else { return .failure(.smuggling("both Content-Length and Transfer-Encoding are present")) }
            guard encodings.count == 1, encodings[0].lowercased() == "chunked", head.headers["transfer-encoding"].count == 1 else {
                return .failure(.smuggling("Transfer-Encoding must be exactly 'chunked'"))
            }
            guard head.version.minor == 1 else { return .failure(.smuggling("Transfer-Encoding is not allowed in HTTP/1.0")) }
            framing = .chunked
        } else if !lengths.isEmpty {
            guard lengths.count == 1, head.headers["content-length"].count == 1 else {
                return .failure(.smuggling("Content-Length must appear once with a single value"))
            }
            let text = lengths[0]
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(text) else {
                return .failure(.smuggling("Content-Length must be a decimal number"))
            }
            framing = length == 0 ? .none : .contentLength(length)
        }

        // Host: exactly one for HTTP/1.1, a plain authority; absolute-form targets must name a host we serve.
        let hosts = head.headers["host"]
        guard hosts.count <= 1 else { return .failure(.badRequest("more than one Host header")) }
        if head.version.minor == 1, hosts.isEmpty { return .failure(.badRequest("HTTP/1.1 requests must carry a Host header")) }
        var authority = hosts.first ?? ""
        guard RequestHygiene.isValidAuthority(authority, allowEmpty: head.version.minor == 0) else {
            return .failure(.badRequest("the Host header is not a valid host[:port]"))
        }
        var target = head.uri
        if head.uri.first == "/" {
            // origin-form: the common case.
        } else if head.uri == "*" {
            guard head.method == .OPTIONS else { return .failure(.badRequest("'*' is only a valid target for OPTIONS")) }
        } else if let absolute = RequestHygiene.splitAbsoluteForm(head.uri) {
            guard RequestHygiene.isValidAuthority(absolute.authority, allowEmpty: false) else {
                return .failure(.badRequest("the absolute-form target has an invalid authority"))
            }
            let name = RequestHygiene.hostWithoutPort(absolute.authority)
            guard serverNames.contains(name) else {
                return .failure(ProblemResponse(status: .badRequest, slug: "unknown-host", detail: "this gateway does not serve '\(name)' as an absolute-form target"))
            }
            authority = absolute.authority
            target = absolute.target
        } else {
            return .failure(.badRequest("the request target is not in origin-form or absolute-form"))
        }

        let connection = head.headers[canonicalForm: "connection"]
        let wantsUpgrade = head.headers.contains(name: "upgrade") && connection.contains { $0.lowercased() == "upgrade" }
        return .success(Accepted(host: RequestHygiene.hostWithoutPort(authority), authority: authority, target: target, framing: framing, wantsUpgrade: wantsUpgrade))
    }

    /// `host`, `host:port`, `[v6]:port` with host characters from RFC 3986's reg-name/IP-literal.
    static func isValidAuthority(_ value: String, allowEmpty: Bool) -> Bool {
        if value.isEmpty { return allowEmpty }
        guard value.utf8.count <= 255 else { return false }
        var inBrackets = false
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"):
                continue
            case UInt8(ascii: "["): if inBrackets { return false }; inBrackets = true
            case UInt8(ascii: "]"): if !inBrackets { return false }; inBrackets = false
            default: return false
            }
        }
        return !inBrackets
    }

    static func hostWithoutPort(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close]).lowercased()
        }
        if let colon = authority.firstIndex(of: ":") {
            return String(authority[..<colon]).lowercased()
        }
        return authority.lowercased()
    }

    /// `http://host:port/path?q` → (`host:port`, `/path?q`); nil if not absolute-form http(s).
    static func splitAbsoluteForm(_ uri: String) -> (authority: String, target: String)? {
        let lowered = uri.prefix(8).lowercased()
        let schemeLength: Int
        if lowered.hasPrefix("http://") { schemeLength = 7 } else if lowered.hasPrefix("https://") { schemeLength = 8 } else { return nil }
        let rest = uri.dropFirst(schemeLength)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<end])
        guard !authority.contains("@") else { return nil }
        var target = String(rest[end...])
        if target.isEmpty { target = "/" } else if target.first == "?" { target = "/" + target }
        return (authority, target)
    }
}

extension ProblemResponse {
    static func smuggling(_ detail: String) -> ProblemResponse {
        ProblemResponse(status: .badRequest, slug: "ambiguous-framing", detail: detail)
    }
}
