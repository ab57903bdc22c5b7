import Foundation
import Testing

/// Requests two HTTP parsers could read differently get 400 problem+json, the connection is
/// closed, and the application receives nothing.
@Suite(.timeLimit(.minutes(1)))
struct SmugglingTests {
    static let shapes: [(String, String)] = [
        ("content-length and transfer-encoding", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("conflicting content-length", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        ("repeated content-length", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
        ("list-valued content-length", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3, 3\r\n\r\nabc"),
        ("signed content-length", "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: +3\r\n\r\nabc"),
        ("transfer-encoding gzip, chunked", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        ("transfer-encoding identity", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: identity\r\n\r\n"),
        ("transfer-encoding twice", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("space before colon", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        ("bad chunk size", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        ("overflowing chunk size", "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nabc\r\n0\r\n\r\n"),
        ("obsolete line folding", "GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A: b\r\n  c\r\n\r\n"),
        ("header line without colon", "GET /echo HTTP/1.1\r\nHost: localhost\r\nXA b\r\n\r\n"),
        ("bare LF line ends", "GET /echo HTTP/1.1\nHost: localhost\n\n"),
        ("bare LF inside the head", "GET /echo HTTP/1.1\r\nHost: localhost\nX: y\r\n\r\n"),
        ("NUL byte in a value", "GET /echo HTTP/1.1\r\nHost: localhost\r\nX-A: b\u{0}c\r\n\r\n"),
        ("HTTP/0.9", "GET /echo\r\n\r\n"),
        ("HTTP/1.1 without Host", "GET /echo HTTP/1.1\r\n\r\n"),
        ("two Host headers", "GET /echo HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n"),
        ("absolute-form for a host we do not serve", "GET http://evil.example/echo HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
        ("transfer-encoding in HTTP/1.0", "POST /echo HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("Host with a second colon", "GET /echo HTTP/1.1\r\nHost: good.example:evil.example\r\n\r\n"),
        ("dot-dot segment", "GET /static/../admin HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        ("percent-encoded dot-dot segment", "GET /static/%2e%2E/admin HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        ("backslash in the path", "GET /static\\..\\admin HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    ]

    @Test func everyAmbiguousShapeIsRefusedAndNothingIsForwarded() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]))
        defer { gateway.stop() }

        for (name, request) in Self.shapes {
            let result = try await RawConnection.exchange(port: gateway.httpPort, request)
            #expect(result.statusCode == 400, "\(name): \(result.text)")
            #expect(result.text.contains("Content-Type: application/problem+json"), "\(name)")
            #expect(result.text.contains("X-Request-Id: "), "\(name)")
            #expect(result.body.contains("\"status\":400"), "\(name)")
            #expect(result.closedByPeer, "\(name): the connection stayed open")
        }
        #expect(upstream.receivedBytes.isEmpty, "the application received: \(upstream.receivedText)")

        // The same gateway still forwards a clean request.
        let clean = try await RawConnection.exchange(port: gateway.httpPort, "GET /fine HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(clean.statusCode == 200)
        #expect(upstream.receivedText.hasPrefix("GET /fine HTTP/1.1\r\n"))
        await upstream.stop()
    }

    @Test func aBadRequestAfterAGoodOneOnTheSameConnectionStillGets400() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]))
        defer { gateway.stop() }

        // Sent one after the other on one connection, and pipelined in one write.
        let good = "GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n"
        let bad = "GET /second HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        let sequential = try await RawConnection.exchange(port: gateway.httpPort, chunks: [good, bad], pause: .milliseconds(300))
        let pipelined = try await RawConnection.exchange(port: gateway.httpPort, good + bad)
        for result in [sequential, pipelined] {
            #expect(result.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(result.text)")
            #expect(result.text.contains("HTTP/1.1 400 Bad Request\r\n"), "\(result.text)")
            #expect(result.text.contains("ambiguous-framing"))
            #expect(result.closedByPeer)
        }
        #expect(!upstream.receivedText.contains("/second"))
        await upstream.stop()
    }

    @Test func limitsAnswer431And414And413WithoutForwarding() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(
            endpoints: [upstream.port],
            extra: "limits: { max_header_bytes: 4KiB, max_header_count: 20, max_uri_bytes: 1KiB, max_body_bytes: 1KiB }"
        ))
        defer { gateway.stop() }

        let manyHeaders = (0..<30).map { "X-H\($0): v\r\n" }.joined()
        let tooMany = try await RawConnection.exchange(port: gateway.httpPort, "GET / HTTP/1.1\r\nHost: localhost\r\n\(manyHeaders)\r\n")
        #expect(tooMany.statusCode == 431)
        #expect(tooMany.body.contains("\"status\":431"))

        let bigHeader = try await RawConnection.exchange(port: gateway.httpPort, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: \(String(repeating: "a", count: 5000))\r\n\r\n")
        #expect(bigHeader.statusCode == 431)

        let longURI = try await RawConnection.exchange(port: gateway.httpPort, "GET /\(String(repeating: "u", count: 2000)) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(longURI.statusCode == 414)
        #expect(longURI.body.contains("uri-too-long"))

        let bigBody = try await RawConnection.exchange(port: gateway.httpPort, "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n")
        #expect(bigBody.statusCode == 413)
        #expect(bigBody.body.contains("body-too-large"))

        let chunkedOver = "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n\(String(repeating: "b", count: 2048))\r\n0\r\n\r\n"
        let bigChunked = try await RawConnection.exchange(port: gateway.httpPort, chunkedOver)
        #expect(bigChunked.statusCode == 413)
        #expect(upstream.receivedBytes.isEmpty, "the application received: \(upstream.receivedText.prefix(300))")
        await upstream.stop()
    }

    @Test func slowlorisHeadIsCutOffAfterTheHeaderTimeout() async throws {
        let upstream = try await RecordingUpstream.start()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port], extra: "timeouts: { header_read: 500ms }"))
        defer { gateway.stop() }

        // The head never completes: without the header timeout only client_idle (75 s) would end it,
        // and the client below gives up after 10 s.
        let chunks = ["GET / HTTP/1.1\r\n", "Host: localhost\r\n", "X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n", "X-D: 4\r\n"]
        let result = try await RawConnection.exchange(port: gateway.httpPort, chunks: chunks, pause: .milliseconds(300), timeout: .seconds(10))
        #expect(result.closedByPeer)
        #expect(result.statusCode == 408)
        #expect(upstream.receivedBytes.isEmpty)
        await upstream.stop()
    }
}
