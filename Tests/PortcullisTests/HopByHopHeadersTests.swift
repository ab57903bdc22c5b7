import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct HopByHopHeadersTests {
    private func removing(_ fields: [(String, String)]) -> HTTPHeaders {
        var headers = HTTPHeaders(fields)
        HopByHopHeaders.remove(from: &headers)
        return headers
    }

    @Test func headersNamedInConnectionAreRemoved() {
        let headers = removing([("Host", "a"), ("Connection", "close, X-Secret"), ("X-Secret", "1"), ("X-Other", "2")])
        #expect(headers["x-secret"].isEmpty)
        #expect(headers["connection"].isEmpty)
        #expect(headers["x-other"] == ["2"])
        #expect(headers["host"] == ["a"])
    }

    @Test func connectionTokensMatchCaseInsensitively() {
        let headers = removing([("Connection", "X-SECRET"), ("x-secret", "1"), ("Connection", "x-another"), ("X-Another", "2")])
        #expect(headers["x-secret"].isEmpty)
        #expect(headers["x-another"].isEmpty)
        #expect(headers.count == 0)
    }

    @Test func standardHopByHopHeadersAreRemoved() {
        let headers = removing([
            ("Host", "a"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Trailer", "Expires"),
            ("Proxy-Connection", "keep-alive"), ("Upgrade", "websocket"), ("Transfer-Encoding", "chunked"),
            ("Proxy-Authorization", "Basic eA=="), ("Proxy-Authenticate", "Basic"), ("Connection", "keep-alive"),
            ("Accept", "*/*"), ("Content-Type", "text/plain"),
        ])
        #expect(headers.map(\.name) == ["Host", "Accept", "Content-Type"])
    }

    @Test func connectionCannotRemoveHostOrContentLength() {
        let headers = removing([("Host", "a.example"), ("Content-Length", "3"), ("Connection", "host, content-length")])
        #expect(headers["host"] == ["a.example"])
        #expect(headers["content-length"] == ["3"])
        #expect(headers["connection"].isEmpty)
    }

    @Test func connectionHostInAnyCaseKeepsHost() {
        let headers = removing([("Host", "a.example"), ("Connection", "HOST")])
        #expect(headers["host"] == ["a.example"])
    }
}
