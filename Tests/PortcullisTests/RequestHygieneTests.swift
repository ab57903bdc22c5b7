import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct RequestHygieneTests {
    let hygiene = RequestHygiene(maxURIBytes: 64)

    private func head(_ method: HTTPMethod = .GET, _ uri: String = "/", version: HTTPVersion = .http1_1, _ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    private func accepted(_ head: HTTPRequestHead, serverNames: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> RequestHygiene.Accepted? {
        switch hygiene.check(head, serverNames: serverNames) {
        case .success(let accepted): return accepted
        case .failure(let problem):
            Issue.record("expected the request to pass, got \(problem.status.code) \(problem.slug): \(problem.detail)", sourceLocation: sourceLocation)
            return nil
        }
    }

    private func problem(_ head: HTTPRequestHead, serverNames: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ProblemResponse? {
        switch hygiene.check(head, serverNames: serverNames) {
        case .success(let accepted):
            Issue.record("expected the request to be refused, it passed with authority '\(accepted.authority)' target '\(accepted.target)'", sourceLocation: sourceLocation)
            return nil
        case .failure(let problem): return problem
        }
    }

    // MARK: Passing requests

    /// Found by fuzzing: an HTTP/2 `:path` may carry bytes above 0x7F (NIOHTTP2 refuses only
    /// controls, SP and DEL there); forwarded raw, the application's parser reads them its own way.
    @Test func targetWithBytesOutsidePrintableASCIIIsRefusedOverHTTP2() throws {
        let h2Head = head(.GET, "/a\u{FF}pi/items", [("Host", "localhost")])
        let scan = RequestHeadScan(h2Head.headers, peerIsTrusted: false)
        guard case .failure(let refused) = hygiene.check(h2Head, scan: scan, serverNames: [], http2: true) else {
            Issue.record("a target with a non-ASCII byte passed")
            return
        }
        #expect(refused.status == .badRequest)
        #expect(refused.detail == "the request target may only contain printable ASCII; percent-encode other bytes")
        #expect(problem(head(.GET, "/caf\u{E9}", [("Host", "localhost")]))?.status == .badRequest)
        #expect(problem(head(.GET, "/a\tb", [("Host", "localhost")]))?.status == .badRequest)
        #expect(accepted(head(.GET, "/caf%C3%A9?q=%20", [("Host", "localhost")])) != nil)
    }

    /// Found by fuzzing: NIOHTTP2 lets control bytes other than NUL, CR and LF through in a field
    /// value; forwarded, the application's HTTP/1 parser refuses (or reads) them its own way.
    @Test func headerValueWithAControlByteIsRefusedOverHTTP2() {
        let h2Head = head(.GET, "/", [("Host", "localhost"), ("Origin", "a\u{01}b")])
        guard case .failure(let refused) = hygiene.check(h2Head, scan: RequestHeadScan(h2Head.headers, peerIsTrusted: false), serverNames: [], http2: true) else {
            Issue.record("a value with a control byte passed")
            return
        }
        #expect(refused.status == .badRequest)
        #expect(refused.detail == "the value of the header field 'Origin' contains a control character")
        let tab = head(.GET, "/", [("Host", "localhost"), ("X-A", "a\tb")])
        guard case .success = hygiene.check(tab, scan: RequestHeadScan(tab.headers, peerIsTrusted: false), serverNames: [], http2: true) else {
            Issue.record("a value with HTAB was refused")
            return
        }
    }

    @Test func normalGetPasses() throws {
        let result = try #require(accepted(head(.GET, "/items?page=2", [("Host", "Example.COM:8080"), ("Accept", "*/*")])))
        #expect(result.host == "example.com")
        #expect(result.authority == "Example.COM:8080")
        #expect(result.target == "/items?page=2")
        #expect(result.framing == RequestHygiene.Framing.none)
        #expect(result.wantsUpgrade == false)
    }

    @Test func ipv6HostKeepsItsBrackets() throws {
        let result = try #require(accepted(head(.GET, "/", [("Host", "[::1]:8080")])))
        #expect(result.host == "[::1]")
        #expect(result.authority == "[::1]:8080")
    }

    @Test func contentLengthFraming() throws {
        #expect(accepted(head(.POST, "/", [("Host", "a"), ("Content-Length", "5")]))?.framing == .contentLength(5))
        #expect(accepted(head(.POST, "/", [("Host", "a"), ("Content-Length", "0")]))?.framing == RequestHygiene.Framing.none)
    }

    @Test func chunkedFraming() {
        #expect(accepted(head(.POST, "/", [("Host", "a"), ("Transfer-Encoding", "chunked")]))?.framing == .chunked)
        #expect(accepted(head(.POST, "/", [("Host", "a"), ("Transfer-Encoding", "Chunked")]))?.framing == .chunked)
    }

    @Test func http10WithoutHostPasses() throws {
        let result = try #require(accepted(head(.GET, "/", version: .http1_0, [])))
        #expect(result.authority == "")
        #expect(result.target == "/")
    }

    // MARK: Framing ambiguities (request smuggling)

    @Test func contentLengthWithTransferEncodingIsRefused() throws {
        let refused = try #require(problem(head(.POST, "/", [("Host", "a"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "ambiguous-framing")
        #expect(refused.detail == "both Content-Length and Transfer-Encoding are present")
    }

    @Test(arguments: [
        [("Transfer-Encoding", "gzip, chunked")],
        [("Transfer-Encoding", "identity")],
        [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
        [("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        [("Transfer-Encoding", "chunked, chunked")],
    ])
    func transferEncodingOtherThanExactlyChunkedIsRefused(headers: [(String, String)]) throws {
        let refused = try #require(problem(head(.POST, "/", [("Host", "a")] + headers)))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "ambiguous-framing")
        #expect(refused.detail == "Transfer-Encoding must be exactly 'chunked'")
    }

    @Test func transferEncodingInHTTP10IsRefused() throws {
        let refused = try #require(problem(head(.POST, "/", version: .http1_0, [("Transfer-Encoding", "chunked")])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "ambiguous-framing")
        #expect(refused.detail == "Transfer-Encoding is not allowed in HTTP/1.0")
    }

    @Test(arguments: [
        [("Content-Length", "5"), ("Content-Length", "5")],
        [("Content-Length", "5"), ("Content-Length", "6")],
        [("Content-Length", "1,1")],
        [("Content-Length", "1, 2")],
    ])
    func contentLengthMoreThanOnceIsRefused(headers: [(String, String)]) throws {
        let refused = try #require(problem(head(.POST, "/", [("Host", "a")] + headers)))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "ambiguous-framing")
        #expect(refused.detail == "Content-Length must appear once with a single value")
    }

    @Test(arguments: ["+5", "-1", "0x10", "5 5", "five", "1e3", "9999999999999999999"])
    func contentLengthThatIsNotADecimalNumberIsRefused(value: String) throws {
        let refused = try #require(problem(head(.POST, "/", [("Host", "a"), ("Content-Length", value)])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "ambiguous-framing")
        #expect(refused.detail == "Content-Length must be a decimal number")
    }

    /// "One plain decimal value": a stray comma is not a plain decimal, and the raw value is
    /// forwarded to the upstream as is.
    @Test(arguments: ["5,", ",5"])
    func contentLengthWithAStrayCommaIsRefused(value: String) throws {
        let refused = try #require(problem(head(.POST, "/", [("Host", "a"), ("Content-Length", value)])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "ambiguous-framing")
    }

    // MARK: Host

    @Test func http11WithoutHostIsRefused() throws {
        let refused = try #require(problem(head(.GET, "/", [])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "bad-request")
        #expect(refused.detail == "HTTP/1.1 requests must carry a Host header")
    }

    @Test func twoHostsAreRefused() throws {
        let refused = try #require(problem(head(.GET, "/", [("Host", "a.example"), ("Host", "b.example")])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "bad-request")
        #expect(refused.detail == "more than one Host header")
    }

    @Test(arguments: ["exa mple.com", "example.com/path", "user@example.com", "example.com\\x", "[::1", "::1]", "a\"b", "ex%41mple.com", "é.example", ""])
    func invalidHostIsRefused(host: String) throws {
        let refused = try #require(problem(head(.GET, "/", [("Host", host)])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "bad-request")
        #expect(refused.detail == "the Host header is not a valid host[:port]")
    }

    /// RFC 3986: port is digits only, and an http authority's host must not be empty; two
    /// parsers would split these differently (the gateway routes on the part before the first ':').
    @Test(arguments: [":8080", "example.com:abc", "example.com:80:80", "good.example:evil.example", "[::1]x", "x[::1]"])
    func hostWithABadPortOrNoHostIsRefused(host: String) throws {
        let refused = try #require(problem(head(.GET, "/", [("Host", host)])))
        #expect(refused.status == .badRequest)
        #expect(refused.detail == "the Host header is not a valid host[:port]")
    }

    // MARK: Request target

    @Test func absoluteFormToAServedHostPasses() throws {
        let result = try #require(accepted(head(.GET, "http://localhost:8080/x?y", [("Host", "localhost:8080")]), serverNames: ["localhost"]))
        #expect(result.authority == "localhost:8080")
        #expect(result.target == "/x?y")
        #expect(result.host == "localhost")
    }

    @Test func absoluteFormAuthorityReplacesTheHostHeader() throws {
        let result = try #require(accepted(head(.GET, "HTTP://LocalHost/", [("Host", "other.example")]), serverNames: ["localhost"]))
        #expect(result.authority == "LocalHost")
        #expect(result.host == "localhost")
        #expect(result.target == "/")
    }

    @Test func absoluteFormWithoutPathGetsSlash() throws {
        #expect(accepted(head(.GET, "http://localhost", [("Host", "localhost")]), serverNames: ["localhost"])?.target == "/")
        #expect(accepted(head(.GET, "https://localhost?q=1", [("Host", "localhost")]), serverNames: ["localhost"])?.target == "/?q=1")
    }

    @Test func absoluteFormToAnUnservedHostIsRefused() throws {
        let refused = try #require(problem(head(.GET, "http://evil.example:8080/x", [("Host", "evil.example:8080")]), serverNames: ["localhost"]))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "unknown-host")
        #expect(refused.detail == "this gateway does not serve 'evil.example' as an absolute-form target")
    }

    @Test func absoluteFormWithUserInfoIsRefused() throws {
        let refused = try #require(problem(head(.GET, "http://user@localhost/", [("Host", "localhost")]), serverNames: ["localhost"]))
        #expect(refused.status == .badRequest)
        #expect(refused.detail == "the request target is not in origin-form or absolute-form")
    }

    @Test func relativeTargetIsRefused() throws {
        let refused = try #require(problem(head(.GET, "index.html", [("Host", "a")])))
        #expect(refused.status == .badRequest)
        #expect(refused.slug == "bad-request")
        #expect(refused.detail == "the request target is not in origin-form or absolute-form")
    }

    @Test func asteriskOnlyForOptions() throws {
        let options = try #require(accepted(head(.OPTIONS, "*", [("Host", "a")])))
        #expect(options.target == "*")
        let refused = try #require(problem(head(.GET, "*", [("Host", "a")])))
        #expect(refused.status == .badRequest)
        #expect(refused.detail == "'*' is only a valid target for OPTIONS")
    }

    @Test func uriOverTheLimitIs414() throws {
        let atLimit = "/" + String(repeating: "a", count: 63)
        #expect(accepted(head(.GET, atLimit, [("Host", "a")])) != nil)
        let refused = try #require(problem(head(.GET, atLimit + "b", [("Host", "a")])))
        #expect(refused.status == .uriTooLong)
        #expect(refused.status.code == 414)
        #expect(refused.slug == "uri-too-long")
        #expect(refused.detail == "the request target is 65 bytes; the limit is 64")
    }

    // MARK: Version and method

    @Test func http2HeadIs505() throws {
        let refused = try #require(problem(head(.GET, "/", version: HTTPVersion(major: 2, minor: 0), [("Host", "a")])))
        #expect(refused.status.code == 505)
        #expect(refused.slug == "http-version")
        #expect(refused.detail == "HTTP/2.0 is not supported; use HTTP/1.1")
    }

    @Test func http12HeadIs505() throws {
        let refused = try #require(problem(head(.GET, "/", version: HTTPVersion(major: 1, minor: 2), [("Host", "a")])))
        #expect(refused.status.code == 505)
    }

    @Test func connectIs405WithAllow() throws {
        let refused = try #require(problem(head(.CONNECT, "example.com:443", [("Host", "example.com:443")])))
        #expect(refused.status.code == 405)
        #expect(refused.slug == "connect-not-allowed")
        #expect(refused.extraHeaders.first { $0.0 == "Allow" }?.1 == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
    }

    // MARK: Upgrade

    @Test func connectionUpgradeWithUpgradeHeaderWantsUpgrade() {
        #expect(accepted(head(.GET, "/ws", [("Host", "a"), ("Connection", "Upgrade"), ("Upgrade", "websocket")]))?.wantsUpgrade == true)
        #expect(accepted(head(.GET, "/ws", [("Host", "a"), ("Connection", "keep-alive, upgrade"), ("Upgrade", "websocket")]))?.wantsUpgrade == true)
    }

    @Test func upgradeNeedsBothHeaders() {
        #expect(accepted(head(.GET, "/ws", [("Host", "a"), ("Upgrade", "websocket")]))?.wantsUpgrade == false)
        #expect(accepted(head(.GET, "/ws", [("Host", "a"), ("Connection", "Upgrade")]))?.wantsUpgrade == false)
    }
}

@Suite struct DotSegmentTests {
    @Test(arguments: ["/a/../b", "/..", "/a/.", "/./a", "/a/%2e%2e/b", "/a/%2E./b", "/a\\b", "/a/%5cb", "/a/..?x=1"])
    func refused(path: String) {
        #expect(RequestHygiene.hasDotSegment(path), "\(path)")
    }

    @Test(arguments: ["/", "/a/b", "/a...b/", "/.well-known/x", "/a/..b", "/a?x=/../", "/v1.2/x", "/%2e%2e%2e/"])
    func accepted(path: String) {
        #expect(!RequestHygiene.hasDotSegment(path), "\(path)")
    }
}
