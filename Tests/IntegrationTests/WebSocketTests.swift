import Foundation
import NIOCore
import NIOPosix
import Testing

/// A WebSocket upgrade passes through; after the 101 the connection is a byte tunnel.
@Suite(.timeLimit(.minutes(1)))
struct WebSocketTests {
    @Test func echoThroughTheGateway() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }

        let handshake = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let frame = Self.maskedTextFrame("hello through portcullis")
        let result = try await RawConnection.exchange(port: gateway.httpPort, byteChunks: [Array(handshake.utf8), frame], pause: .milliseconds(200), timeout: .seconds(10), until: { $0.contains("hello through portcullis") })
        #expect(result.text.hasPrefix("HTTP/1.1 101 "))
        #expect(result.text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(result.text.lowercased().contains("upgrade: websocket"))
        // The echoed frame is unmasked text: 0x81, length, payload.
        #expect(result.text.contains("hello through portcullis"))
        try await demo.stop()
    }

    @Test func upgradeOnARouteThatDoesNotAllowItIsAnsweredAndClosed() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start("""
            upstreams:
              app: { endpoints: [127.0.0.1:\(demo.localPort)] }
            routes:
              - { name: app, path_prefix: /, upstream: app, websocket: false }
            """)
        defer { gateway.stop() }
        let handshake = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let result = try await RawConnection.exchange(port: gateway.httpPort, handshake)
        #expect(!result.text.hasPrefix("HTTP/1.1 101"))
        #expect(result.text.contains("Connection: close"))
        #expect(result.closedByPeer)
        try await demo.stop()
    }

    @Test func upgradeTheApplicationRefusesIsAnsweredAndClosed() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]))
        defer { gateway.stop() }
        // The demo answers an upgrade on /api/ as plain HTTP: after it, the connection cannot carry more.
        let handshake = "GET /api/no-ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let result = try await RawConnection.exchange(port: gateway.httpPort, handshake)
        #expect(result.statusCode == 200)
        #expect(result.text.contains("Connection: close"))
        #expect(result.closedByPeer)
        try await demo.stop()
    }

    static func maskedTextFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)]
        frame += mask
        for (index, byte) in payload.enumerated() { frame.append(byte ^ mask[index % 4]) }
        return frame
    }
}
