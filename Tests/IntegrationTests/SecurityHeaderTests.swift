import Foundation
import Portcullis
import PortcullisDemo
import Testing

/// The shipped header policy (policies/headers.yaml) applied to the demo application's responses,
/// over plain HTTP/1.1, HTTPS with HTTP/1.1 and HTTPS with HTTP/2.
@Suite(.timeLimit(.minutes(1)))
struct SecurityHeaderTests {
    /// Headers of a curl response as (lowercased name, value) pairs, every field kept.
    static func headers(of output: String) -> [(String, String)] {
        let head = output.components(separatedBy: "\r\n\r\n").first ?? ""
        return head.components(separatedBy: "\r\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    static func values(_ name: String, in headers: [(String, String)]) -> [String] {
        headers.filter { $0.0 == name.lowercased() }.map(\.1)
    }

    private static func startWithTLS() async throws -> (DemoServer, GatewayProcess, String) {
        let demo = try await Upstreams.demo()
        let certificates = try TestCertificates()
        let certs = certificates.directory
        let tls = certificates.tlsBlock
        // The plain listener serves too (no redirect), so both schemes can be compared.
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), tls: tls, plainListener: "redirect_to_https: false", policies: try ShippedPolicies.files())
        return (demo, gateway, "\(certs.path)/ca.pem")
    }

    @Test func htmlPageGetsTheOWASPHeadersOverEveryProtocol() async throws {
        let (demo, gateway, ca) = try await Self.startWithTLS()
        defer { gateway.stop() }
        let https = "https://localhost:\(gateway.tlsPort)/"
        for (label, arguments) in [("h1", ["--http1.1", "--cacert", ca, https]), ("h2", ["--http2", "--cacert", ca, https])] {
            let result = try Command.curl(["-i", "-w", "\n%{http_version}"] + arguments)
            let headers = Self.headers(of: result.standardOutput)
            #expect(result.standardOutput.hasSuffix(label == "h1" ? "\n1.1" : "\n2"), "\(label): \(result.standardError)")
            #expect(Self.values("Strict-Transport-Security", in: headers) == ["max-age=63072000; includeSubDomains"], "\(label)")
            #expect(Self.values("X-Frame-Options", in: headers) == ["DENY"], "\(label)")
            #expect(Self.values("X-Content-Type-Options", in: headers) == ["nosniff"], "\(label)")
            #expect(Self.values("Referrer-Policy", in: headers) == ["strict-origin-when-cross-origin"], "\(label)")
            #expect(Self.values("Cross-Origin-Opener-Policy", in: headers) == ["same-origin"], "\(label)")
            // `default`: the demo sends no CSP, so the policy's is added.
            #expect(Self.values("Content-Security-Policy", in: headers).first?.hasPrefix("default-src 'self'") == true, "\(label)")
            // The front-page rule: its own Cache-Control and a staged report-only CSP, on top of global.
            #expect(Self.values("Cache-Control", in: headers) == ["no-cache"], "\(label)")
            #expect(Self.values("Content-Security-Policy-Report-Only", in: headers).count == 1, "\(label)")
            // `remove`: the application's software banners never reach the client.
            #expect(Self.values("Server", in: headers).isEmpty, "\(label)")
            #expect(Self.values("X-Powered-By", in: headers).isEmpty, "\(label)")
            #expect(Self.values("X-Demo-Instance", in: headers) == ["demo"], "\(label)")
        }

        // Plain HTTP: the same headers, but never HSTS (RFC 6797 §7.2).
        let plain = try await TestHTTPClient.get(port: gateway.httpPort, path: "/")
        #expect(plain.status == 200)
        #expect(plain.header("X-Frame-Options") == "DENY")
        #expect(plain.header("Strict-Transport-Security") == nil)
        #expect(plain.header("Server") == nil)
        try await demo.stop()
    }

    @Test func apiRuleOverridesWithoutLosingTheGlobalHeaders() async throws {
        let (demo, gateway, ca) = try await Self.startWithTLS()
        defer { gateway.stop() }
        let result = try Command.curl(["-i", "--http2", "--cacert", ca, "https://localhost:\(gateway.tlsPort)/api/session"])
        let headers = Self.headers(of: result.standardOutput)
        #expect(Self.values("Cache-Control", in: headers) == ["no-store"])
        #expect(Self.values("Content-Security-Policy", in: headers) == ["default-src 'none'; frame-ancestors 'none'"])
        // Inherited from global: adding Cache-Control did not drop HSTS (the nginx add_header trap).
        #expect(Self.values("Strict-Transport-Security", in: headers).count == 1)
        #expect(Self.values("X-Frame-Options", in: headers) == ["DENY"])
        // The application's cookie hardened: Secure and HttpOnly from global, SameSite=Strict from the rule.
        #expect(Self.values("Set-Cookie", in: headers) == ["session=demo-demo; Path=/; Secure; HttpOnly; SameSite=Strict"])
        try await demo.stop()
    }

    @Test func healthRuleStartsFromNothing() async throws {
        let (demo, gateway, _) = try await Self.startWithTLS()
        defer { gateway.stop() }
        let response = try await TestHTTPClient.get(port: gateway.httpPort, path: "/healthz")
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("X-Frame-Options") == nil)
        #expect(response.header("Content-Security-Policy") == nil)
        #expect(response.header("Server") == nil)
        // `remove` was only Server there: X-Powered-By is the application's and stays.
        #expect(response.header("X-Powered-By") == "SwiftNIO")
        try await demo.stop()
    }

    @Test func gatewayAnswersCarryTheHeadersToo() async throws {
        let (demo, gateway, _) = try await Self.startWithTLS()
        defer { gateway.stop() }
        // Content-Length with Transfer-Encoding: refused by the gateway itself, never forwarded.
        let result = try await RawConnection.exchange(port: gateway.httpPort, "POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(result.statusCode == 400)
        let headers = Self.headers(of: result.text)
        #expect(Self.values("Content-Type", in: headers) == ["application/problem+json"])
        #expect(Self.values("X-Content-Type-Options", in: headers) == ["nosniff"])
        #expect(Self.values("X-Frame-Options", in: headers) == ["DENY"])
        // An error is never cached, whatever the route's rule sets.
        #expect(Self.values("Cache-Control", in: headers) == ["no-store"])
        try await demo.stop()
    }
}
