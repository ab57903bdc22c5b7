import NIOCore
import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct ForwardingHeadersTests {
    private func context(peer: String, client: String? = nil, trusted: Bool, requestId: String = "0123456789abcdef0123456789abcdef") throws -> RequestContext {
        let upstreamConfig = UpstreamGroupConfig(name: "demo", endpoints: [HostPort(host: "127.0.0.1", port: 1)])
        let group = UpstreamGroup(config: upstreamConfig, index: 0, addresses: [try SocketAddress(ipAddress: "127.0.0.1", port: 1)])
        let route = Route(config: RouteConfig(name: "app", upstream: "demo"), upstream: group, defaultMaxBody: 1024)
        let peerAddress = try #require(IPAddress(peer))
        let clientAddress = try #require(IPAddress(client ?? peer))
        return RequestContext(
            requestId: requestId, clientAddress: clientAddress, peerAddress: peerAddress, peerIsTrusted: trusted,
            route: route, host: "app.example", target: "/", isTLS: false, startTime: .now(), policies: .empty
        )
    }

    private func accepted(authority: String = "app.example:8080", framing: RequestHygiene.Framing = .none) -> RequestHygiene.Accepted {
        RequestHygiene.Accepted(host: "app.example", authority: authority, target: "/", framing: framing, wantsUpgrade: false)
    }

    private static let spoofed: [(String, String)] = [
        ("Host", "app.example:8080"),
        ("X-Forwarded-For", "6.6.6.6"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Real-IP", "6.6.6.6"),
        ("Forwarded", "for=6.6.6.6;proto=https"),
        ("X-Request-Id", "client-chosen-id"),
        ("X-Geo-Country", "XX"),
        ("x-geo-city", "Nowhere"),
        ("Accept", "*/*"),
    ]

    @Test func untrustedPeerCannotSetGatewayHeaders() throws {
        var headers = HTTPHeaders(Self.spoofed)
        ForwardingHeaders.rewrite(&headers, accepted: accepted(), context: try context(peer: "203.0.113.9", trusted: false), scheme: "http")
        #expect(headers["x-forwarded-for"] == ["203.0.113.9"])
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["x-forwarded-host"] == ["app.example:8080"])
        #expect(headers["x-real-ip"] == ["203.0.113.9"])
        #expect(headers["forwarded"].isEmpty)
        #expect(headers["x-request-id"] == ["0123456789abcdef0123456789abcdef"])
        #expect(headers["x-geo-country"].isEmpty)
        #expect(headers["x-geo-city"].isEmpty)
        #expect(headers["accept"] == ["*/*"])
        #expect(headers["host"] == ["app.example:8080"])
    }

    @Test func untrustedIPv6PeerIsWrittenInCanonicalForm() throws {
        var headers = HTTPHeaders([("Host", "app.example:8080")])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(), context: try context(peer: "2001:DB8:0::7", trusted: false), scheme: "https")
        #expect(headers["x-forwarded-for"] == ["2001:db8::7"])
        #expect(headers["x-real-ip"] == ["2001:db8::7"])
        #expect(headers["x-forwarded-proto"] == ["https"])
    }

    @Test func trustedPeerIsAppendedToTheChain() throws {
        var headers = HTTPHeaders([
            ("Host", "app.example:8080"), ("X-Forwarded-For", "198.51.100.7, 10.0.0.2"), ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "www.example"), ("X-Real-IP", "6.6.6.6"), ("X-Geo-Country", "XX"),
        ])
        let context = try context(peer: "10.0.0.1", client: "198.51.100.7", trusted: true)
        ForwardingHeaders.rewrite(&headers, accepted: accepted(), context: context, scheme: "http")
        #expect(headers["x-forwarded-for"] == ["198.51.100.7, 10.0.0.2, 10.0.0.1"])
        #expect(headers["x-forwarded-proto"] == ["https"])
        #expect(headers["x-forwarded-host"] == ["www.example"])
        #expect(headers["x-real-ip"] == ["198.51.100.7"])
        #expect(headers["x-request-id"] == ["0123456789abcdef0123456789abcdef"])
        // X-Geo-* is the gateway's own family: not even a trusted proxy may set it.
        #expect(headers["x-geo-country"].isEmpty)
    }

    @Test func severalXForwardedForFieldsFromATrustedPeerBecomeOneChain() throws {
        var headers = HTTPHeaders([("Host", "app.example:8080"), ("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-For", "10.0.0.2")])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(), context: try context(peer: "10.0.0.1", client: "198.51.100.7", trusted: true), scheme: "http")
        #expect(headers["x-forwarded-for"] == ["198.51.100.7, 10.0.0.2, 10.0.0.1"])
    }

    @Test func trustedPeerWithoutChainStartsOne() throws {
        var headers = HTTPHeaders([("Host", "app.example:8080")])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(), context: try context(peer: "10.0.0.1", trusted: true), scheme: "http")
        #expect(headers["x-forwarded-for"] == ["10.0.0.1"])
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["x-forwarded-host"] == ["app.example:8080"])
        #expect(headers["x-real-ip"] == ["10.0.0.1"])
    }

    @Test func hopByHopHeadersAreRemoved() throws {
        var headers = HTTPHeaders([
            ("Host", "app.example:8080"), ("Connection", "keep-alive, X-Secret, host"), ("X-Secret", "s"),
            ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Trailer", "Expires"), ("Proxy-Connection", "keep-alive"),
            ("Upgrade", "h2c"),
        ])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(), context: try context(peer: "203.0.113.9", trusted: false), scheme: "http")
        for name in ["connection", "x-secret", "keep-alive", "te", "trailer", "proxy-connection", "upgrade"] {
            #expect(headers[name].isEmpty, "\(name) must not be forwarded")
        }
        #expect(headers["host"] == ["app.example:8080"])
    }

    @Test func hostIsSetToTheAcceptedAuthority() throws {
        var headers = HTTPHeaders([("Host", "other.example")])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(authority: "localhost:8080"), context: try context(peer: "203.0.113.9", trusted: false), scheme: "http")
        #expect(headers["host"] == ["localhost:8080"])
    }

    @Test func chunkedFramingIsForwardedOnce() throws {
        var headers = HTTPHeaders([("Host", "app.example:8080"), ("Transfer-Encoding", "chunked")])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(framing: .chunked), context: try context(peer: "203.0.113.9", trusted: false), scheme: "http")
        #expect(headers["transfer-encoding"] == ["chunked"])
        #expect(headers["content-length"].isEmpty)
    }

    @Test func contentLengthIsKept() throws {
        var headers = HTTPHeaders([("Host", "app.example:8080"), ("Content-Length", "12")])
        ForwardingHeaders.rewrite(&headers, accepted: accepted(framing: .contentLength(12)), context: try context(peer: "203.0.113.9", trusted: false), scheme: "http")
        #expect(headers["content-length"] == ["12"])
        #expect(headers["transfer-encoding"].isEmpty)
    }
}
