import Foundation
import Portcullis
import Testing

/// HTTP/2 request targets the HTTP/1 parser never sees: they reach the application only when an
/// HTTP/1 parser would read them the same way.
@Suite(.timeLimit(.minutes(1)))
struct HTTP2TargetTests {
    /// Found by fuzzing: a `:path` with a byte above 0x7F was forwarded raw in the request line.
    @Test func aPathWithANonASCIIByteGets400AndIsNotForwarded() async throws {
        let upstream = try await RecordingUpstream.start()
        let certs = try TestPaths.temporaryDirectory()
        try DevCertificate.issue(into: certs.path, leaves: [(stem: "localhost", names: ["localhost", "127.0.0.1"])])
        let tls = "tls: { certificates: [{ certificate: \(certs.path)/localhost.pem, key: \(certs.path)/localhost-key.pem }] }"
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), tls: tls)
        defer { gateway.stop() }

        let refused = try Command.run(Command.python, [Command.script("h2_path.py"), String(gateway.tlsPort), Array("/a\u{FF}pi".utf8).map { String(format: "%02x", $0) }.joined()], timeout: 20)
        #expect(refused.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "400", "\(refused.standardOutput) \(refused.standardError)")
        #expect(upstream.receivedBytes.isEmpty, "the application received: \(upstream.receivedText)")

        let fine = try Command.run(Command.python, [Command.script("h2_path.py"), String(gateway.tlsPort), Array("/caf%C3%A9".utf8).map { String(format: "%02x", $0) }.joined()], timeout: 20)
        #expect(fine.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "200", "\(fine.standardOutput) \(fine.standardError)")
        #expect(upstream.receivedText.hasPrefix("GET /caf%C3%A9 HTTP/1.1\r\n"))
        await upstream.stop()
    }

    /// Found by fuzzing: a field value with a control byte (other than NUL, CR, LF) was forwarded.
    @Test func aHeaderValueWithAControlByteGets400AndIsNotForwarded() async throws {
        let upstream = try await RecordingUpstream.start()
        let certs = try TestPaths.temporaryDirectory()
        try DevCertificate.issue(into: certs.path, leaves: [(stem: "localhost", names: ["localhost", "127.0.0.1"])])
        let tls = "tls: { certificates: [{ certificate: \(certs.path)/localhost.pem, key: \(certs.path)/localhost-key.pem }] }"
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port]), tls: tls)
        defer { gateway.stop() }
        let path = Array("/api".utf8).map { String(format: "%02x", $0) }.joined()

        let refused = try Command.run(Command.python, [Command.script("h2_path.py"), String(gateway.tlsPort), path, "origin", "610162"], timeout: 20)
        #expect(refused.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "400", "\(refused.standardOutput) \(refused.standardError)")
        #expect(upstream.receivedBytes.isEmpty, "the application received: \(upstream.receivedText)")

        let tab = try Command.run(Command.python, [Command.script("h2_path.py"), String(gateway.tlsPort), path, "x-a", "610962"], timeout: 20)
        #expect(tab.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "200", "\(tab.standardOutput) \(tab.standardError)")
        await upstream.stop()
    }
}
