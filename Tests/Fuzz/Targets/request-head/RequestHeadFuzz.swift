import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import PortcullisFuzzed

/// The request-head path after the codec: header hygiene, target normalisation, trusted-proxy
/// `X-Forwarded-For` resolution and the header block sent upstream.
///
/// The first input byte picks the shape: bit 0 clear, the rest is HTTP/1 bytes fed to NIO's parser
/// with the gateway's limits; bit 0 set, the rest is a head built directly the way an HTTP/2 stream
/// delivers it (`METHOD TARGET` then `name: value` lines), which no HTTP/1 parser screened. Bit 1
/// makes the peer a trusted proxy.
enum RequestHeadFuzz {
    static let serverNames = ["app.example", "localhost"]
    static let hygiene = RequestHygiene(maxURIBytes: LimitsConfig().maxURIBytes)
    static let resolver = ClientAddressResolver(trustedProxies: ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32"].compactMap { IPNetwork($0) })
    static let trustedPeer = IPAddress("10.1.2.3")!
    static let untrustedPeer = IPAddress("203.0.113.9")!
    static let route: Route = {
        let upstream = UpstreamGroup(config: UpstreamGroupConfig(name: "demo", endpoints: [HostPort(host: "127.0.0.1", port: 1)]), index: 0, addresses: [try! SocketAddress(ipAddress: "127.0.0.1", port: 1)])
        return Route(config: RouteConfig(name: "app", upstream: "demo"), upstream: upstream, defaultMaxBody: 1024)
    }()

    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let mode = bytes.first else { return }
        let rest = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let trusted = mode & 2 != 0
        if mode & 1 == 0 {
            for head in parseHTTP1(rest) { check(head, trusted: trusted, http2: false) }
        } else if let head = buildHead(rest), GatewayProblems.http2HeadOverLimits(head, limits: LimitsConfig()) == nil {
            // The gateway holds HTTP/2 heads to the parser's limits before its hygiene sees them.
            check(head, trusted: trusted, http2: true)
        }
    }

    /// - Parameter generous: the application's parser, whose limits are not the gateway's (the
    ///   forwarded head carries up to six more fields than the client sent).
    static func parseHTTP1(_ bytes: UnsafeRawBufferPointer, generous: Bool = false) -> [HTTPRequestHead] {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = LimitsConfig().maxHeaderBytes
        limits.maxHeaderListSize = generous ? 1 << 20 : LimitsConfig().maxHeaderBytes
        limits.maxHeaderFieldCount = generous ? 10_000 : LimitsConfig().maxHeaderCount
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop, limitConfiguration: limits)
        guard (try? channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))) != nil else { return [] }
        var heads: [HTTPRequestHead] = []
        _ = try? channel.writeInbound(ByteBuffer(bytes: bytes))
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part { heads.append(head) }
        }
        return heads
    }

    /// What NIOHTTP2's codec hands on: pseudo-header values (`:method`, `:path`) without SP, DEL or
    /// control bytes; names are tokens; other values carry no CR, LF or NUL.
    static func buildHead(_ bytes: UnsafeRawBufferPointer) -> HTTPRequestHead? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, let space = first.firstIndex(of: " ") else { return nil }
        let method = HTTPMethod(rawValue: String(first[..<space]))
        // Extension methods (`.RAW`) pass HTTP/2 and are forwarded as sent; NIO's HTTP/1 parser,
        // like llhttp in many applications, knows a fixed list, so the reparse check would fail on
        // them by design (docs/security.md, "Bad input").
        if case .RAW = method { return nil }
        let uri = String(first[first.index(after: space)...])
        guard !uri.isEmpty, !(uri + first[..<space]).utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return nil }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingWhitespaceSubstring()
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte), !value.utf8.contains(where: { $0 == 0 || $0 == 0x0D }) else { continue }
            headers.add(name: String(name), value: String(value))
        }
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func check(_ head: HTTPRequestHead, trusted: Bool, http2: Bool) {
        let scan = RequestHeadScan(head.headers, peerIsTrusted: trusted)
        _ = RequestHygiene.hasDotSegment(head.uri)
        _ = RequestHygiene.splitAbsoluteForm(head.uri)
        let stripped = HopByHopHeaders.strip(head.headers).headers
        for (name, _) in stripped {
            FuzzDriver.require(!HeaderName.classify(name).isHopByHop, "strip kept hop-by-hop \(name)")
        }
        guard case .success(var accepted) = hygiene.check(head, scan: scan, serverNames: serverNames, http2: http2) else { return }

        // Framing has one reading.
        FuzzDriver.require(scan.contentLengthCount <= 1 && scan.transferEncodingCount <= 1, "repeated framing header accepted")
        FuzzDriver.require(scan.contentLengthCount == 0 || scan.transferEncodingCount == 0, "Content-Length with Transfer-Encoding accepted")
        switch accepted.framing {
        case .chunked: FuzzDriver.require(scan.transferEncodingCount == 1, "chunked without Transfer-Encoding")
        case .contentLength(let length): FuzzDriver.require(length > 0 && scan.contentLengthCount == 1, "bad Content-Length framing \(length)")
        case .none: FuzzDriver.require(scan.transferEncodingCount == 0, "Transfer-Encoding without framing")
        }
        FuzzDriver.require(scan.hostCount <= 1, "two Host headers accepted")

        // The target is origin-form (or `*`) without dot segments; the authority is host[:port].
        FuzzDriver.require(accepted.target.hasPrefix("/") || accepted.target == "*", "target \(accepted.target) is not origin-form")
        FuzzDriver.require(!RequestHygiene.hasDotSegment(accepted.target), "dot segment in accepted target \(accepted.target)")
        FuzzDriver.require(RequestHygiene.isValidAuthority(accepted.authority, allowEmpty: true), "invalid authority \(accepted.authority)")
        FuzzDriver.require(accepted.host == accepted.host.lowercased(), "host not lowercased")
        if accepted.authority.isEmpty { accepted.authority = serverNames[0] }

        // The real client: the peer itself unless the peer is a trusted proxy.
        let peer = trusted ? trustedPeer : untrustedPeer
        let client = resolver.resolve(peer: peer, forwardedFor: scan.forwardedFor)
        if !trusted { FuzzDriver.require(client == peer, "an untrusted peer's X-Forwarded-For was believed") }
        FuzzDriver.require(IPAddress(client.description) == client, "client address \(client) does not round-trip")

        let context = RequestContext(
            requestId: "0123456789abcdef0123456789abcdef", clientAddress: client, peerAddress: peer, peerIsTrusted: trusted,
            route: route, host: accepted.host, target: accepted.target, isTLS: false, startTime: .now(), policies: .empty
        )
        let forwarded = ForwardingHeaders.build(from: head.headers, scan: scan, accepted: accepted, context: context, peerText: peer.description, scheme: "http")
        checkForwarded(forwarded, accepted: accepted, scan: scan)
        checkReparse(HTTPRequestHead(version: .http1_1, method: head.method, uri: accepted.target, headers: forwarded), accepted: accepted)
    }

    /// Nothing that describes the client's connection crosses the proxy; the gateway's own headers appear once.
    static func checkForwarded(_ headers: HTTPHeaders, accepted: RequestHygiene.Accepted, scan: RequestHeadScan) {
        var counts: [String: Int] = [:]
        for (name, value) in headers {
            let kind = HeaderName.classify(name)
            if kind == .transferEncoding {
                FuzzDriver.require(accepted.framing == .chunked && value == "chunked", "Transfer-Encoding forwarded: \(value)")
            } else {
                FuzzDriver.require(!kind.isHopByHop, "hop-by-hop header forwarded: \(name)")
            }
            FuzzDriver.require(kind != .other || !scan.connection.nominates(name), "header nominated by Connection forwarded: \(name)")
            FuzzDriver.require(!value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }), "CR, LF or NUL in forwarded \(name)")
            counts[name.lowercased(), default: 0] += 1
        }
        for name in ["host", "x-forwarded-for", "x-real-ip", "x-request-id"] {
            FuzzDriver.require(counts[name] == 1, "\(name) forwarded \(counts[name] ?? 0) times")
        }
        FuzzDriver.require((counts["content-length"] ?? 0) <= 1 && (counts["transfer-encoding"] ?? 0) <= 1, "framing header repeated upstream")
        FuzzDriver.require(counts["content-length"] == nil || counts["transfer-encoding"] == nil, "Content-Length and Transfer-Encoding upstream")
        FuzzDriver.require(headers["host"].first == accepted.authority, "Host is not the accepted authority")
    }

    /// The application's parser reads the forwarded head as one request with the same target and framing.
    static func checkReparse(_ head: HTTPRequestHead, accepted: RequestHygiene.Accepted) {
        let encoder = EmbeddedChannel()
        defer { _ = try? encoder.finish() }
        var configuration = HTTPRequestEncoder.Configuration()
        configuration.automaticallySetFramingHeaders = false
        try! encoder.pipeline.syncOperations.addHandler(HTTPRequestEncoder(configuration: configuration))
        try! encoder.writeOutbound(HTTPClientRequestPart.head(head))
        var wire = ByteBuffer()
        while var chunk = try! encoder.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&chunk) }
        let heads = wire.withUnsafeReadableBytes { parseHTTP1($0, generous: true) }
        FuzzDriver.require(heads.count == 1, "the forwarded head reparses as \(heads.count) heads: \(String(buffer: wire).debugDescription)")
        guard let reparsed = heads.first else { return }
        FuzzDriver.require(reparsed.uri == accepted.target, "the forwarded target reparses as \(reparsed.uri)")
        let again = RequestHeadScan(reparsed.headers, peerIsTrusted: false)
        FuzzDriver.require(again.contentLengthCount + again.transferEncodingCount <= 1, "the forwarded head has two framings")
        FuzzDriver.require(again.host == accepted.authority, "the forwarded Host reparses as \(again.host ?? "nil")")
    }
}

@_cdecl("fuzz_request_head_main")
func fuzzMain(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc: argc, argv: argv, RequestHeadFuzz.test)
}
