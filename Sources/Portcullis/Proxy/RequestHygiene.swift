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
        check(head, scan: RequestHeadScan(head.headers, peerIsTrusted: false), serverNames: serverNames, http2: false)
    }

    /// - Parameter http2: the head came from an HTTP/2 stream (already framed and validated by the
    ///   HTTP/2 codec, which turns `:authority` into `Host`); it is checked like HTTP/1.1.
    func check(_ head: HTTPRequestHead, scan: RequestHeadScan, serverNames: [String], http2: Bool) -> Result<Accepted, ProblemResponse> {
        var head = head
        if http2 { head.version = .http1_1 }
        guard head.version.major == 1, head.version.minor <= 1 else {
            return .failure(ProblemResponse(status: .httpVersionNotSupported, slug: "http-version", detail: "HTTP/\(head.version.major).\(head.version.minor) is not supported; use HTTP/1.1"))
        }
        guard head.uri.utf8.count <= maxURIBytes else {
            return .failure(ProblemResponse(status: .uriTooLong, slug: "uri-too-long", detail: "the request target is \(head.uri.utf8.count) bytes; the limit is \(maxURIBytes)"))
        }
        // NIO's HTTP/1 parser refuses these bytes in a target; an HTTP/2 `:path` may carry bytes
        // above 0x7F (found by fuzzing), which the application's parser would read its own way.
        guard head.uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(.badRequest("the request target may only contain printable ASCII; percent-encode other bytes"))
        }
        if http2, let name = RequestHygiene.fieldWithControlBytes(head.headers) {
            // NIOHTTP2 refuses only NUL, CR and LF in a value; NIO's HTTP/1 parser, like the
            // application's, refuses every control byte but HTAB (found by fuzzing).
            return .failure(.badRequest("the value of the header field '\(name.prefix(64))' contains a control character"))
        }
        if head.method == .CONNECT {
            return .failure(ProblemResponse(status: .methodNotAllowed, slug: "connect-not-allowed", detail: "CONNECT is not served by this gateway", extraHeaders: [("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")]))
        }

        // Framing: at most one Content-Length with one plain decimal value; Transfer-Encoding exactly `chunked`.
        var framing = Framing.none
        if let encoding = scan.transferEncoding {
            guard scan.contentLengthCount == 0 else { return .failure(.smuggling("both Content-Length and Transfer-Encoding are present")) }
            guard scan.transferEncodingCount == 1, ConnectionTokens.equalsIgnoringCase(encoding.utf8, "chunked") else {
                return .failure(.smuggling("Transfer-Encoding must be exactly 'chunked'"))
            }
            guard head.version.minor == 1 else { return .failure(.smuggling("Transfer-Encoding is not allowed in HTTP/1.0")) }
            framing = .chunked
        } else if let text = scan.contentLength {
            guard scan.contentLengthCount == 1, !text.contains(",") else {
                return .failure(.smuggling("Content-Length must appear once with a single value"))
            }
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(text) else {
                return .failure(.smuggling("Content-Length must be a decimal number"))
            }
            framing = length == 0 ? .none : .contentLength(length)
        }

        // Host: exactly one for HTTP/1.1, a plain authority; absolute-form targets must name a host we serve.
        guard scan.hostCount <= 1 else { return .failure(.badRequest("more than one Host header")) }
        if head.version.minor == 1, scan.hostCount == 0 { return .failure(.badRequest("HTTP/1.1 requests must carry a Host header")) }
        var authority = scan.host ?? ""
        guard RequestHygiene.isValidAuthority(authority, allowEmpty: head.version.minor == 0) else {
            return .failure(.badRequest("the Host header is not a valid host[:port]"))
        }
        var target = head.uri
        if head.uri.utf8.first == UInt8(ascii: "/") {
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

        if RequestHygiene.hasDotSegment(target) {
            return .failure(ProblemResponse(status: .badRequest, slug: "path-traversal", detail: "the path contains a '.' or '..' segment (possibly percent-encoded) or a backslash; routes match the path as sent, so such paths are refused"))
        }

        return .success(Accepted(host: RequestHygiene.hostWithoutPort(authority), authority: authority, target: target, framing: framing, wantsUpgrade: scan.wantsUpgrade))
    }

    /// The first field whose value has a control byte other than HTAB (or DEL), if any.
    static func fieldWithControlBytes(_ headers: HTTPHeaders) -> String? {
        for (name, value) in headers where value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            return name
        }
        return nil
    }

    /// Whether the path (before any query) has a `.` or `..` segment, literally or as `%2e`, or a
    /// backslash: routing matches the path as sent, while the application may normalise it and
    /// reach what a route prefix was meant to fence off (`/static/../admin`).
    static func hasDotSegment(_ target: String) -> Bool {
        var segmentLength = 0
        var dotsInSegment = 0
        var onlyDots = true
        var bytes = target.utf8.makeIterator()
        func endSegment() -> Bool {
            let isDotSegment = segmentLength > 0 && onlyDots && dotsInSegment == segmentLength && dotsInSegment <= 2
            segmentLength = 0
            dotsInSegment = 0
            onlyDots = true
            return isDotSegment
        }
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "?"), UInt8(ascii: "#"):
                return endSegment()
            case UInt8(ascii: "/"):
                if endSegment() { return true }
            case UInt8(ascii: "\\"):
                return true
            case UInt8(ascii: "."):
                segmentLength += 1
                dotsInSegment += 1
            case UInt8(ascii: "%"):
                let first = bytes.next()
                let second = bytes.next()
                segmentLength += 1
                if first == UInt8(ascii: "2"), second == UInt8(ascii: "e") || second == UInt8(ascii: "E") {
                    dotsInSegment += 1
                } else if first == UInt8(ascii: "5"), second == UInt8(ascii: "c") || second == UInt8(ascii: "C") {
                    return true  // an encoded backslash
                } else {
                    onlyDots = false
                }
            default:
                segmentLength += 1
                onlyDots = false
            }
        }
        return endSegment()
    }

    /// The host part of a valid authority, lowercased, for routing (`[::1]` keeps its brackets).
    static func hostWithoutPort(_ authority: String) -> String {
        var host = Substring(authority)
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[...close]
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
        }
        // Most hosts arrive lowercase already: skip the copy then.
        if host.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return host.lowercased() }
        return host.utf8.count == authority.utf8.count ? authority : String(host)
    }

    /// `host`, `host:port` or `[v6]:port`: a non-empty reg-name or IPv6 literal and an optional
    /// decimal port. Anything else could be split differently by the application.
    static func isValidAuthority(_ value: String, allowEmpty: Bool) -> Bool {
        if value.isEmpty { return allowEmpty }
        var value = value
        return value.withUTF8 { bytes in
            guard bytes.count <= 255 else { return false }
            var index = 0
            if bytes[0] == UInt8(ascii: "[") {
                guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
                for byte in bytes[1..<close] where !(isHexDigit(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")) { return false }
                index = close + 1
            } else {
                while index < bytes.count, bytes[index] != UInt8(ascii: ":") {
                    guard isRegNameByte(bytes[index]) else { return false }
                    index += 1
                }
                guard index > 0 else { return false }
            }
            if index == bytes.count { return true }
            guard bytes[index] == UInt8(ascii: ":") else { return false }
            let portDigits = bytes.count - index - 1
            guard portDigits >= 1, portDigits <= 5 else { return false }
            var port = 0
            for byte in bytes[(index + 1)...] {
                guard byte >= 0x30, byte <= 0x39 else { return false }
                port = port * 10 + Int(byte - 0x30)
            }
            return port <= 65535
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
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
