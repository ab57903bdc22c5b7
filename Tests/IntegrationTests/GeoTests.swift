import Foundation
import Testing

/// Geo-gating through the real listener, with `.mmdb` databases built by MaxMind's own writer and
/// client addresses given by a trusted proxy's X-Forwarded-For.
@Suite(.timeLimit(.minutes(2)))
struct GeoTests {
    static let secret = "test-age-token-secret-0123456789abcdef"

    static func policy(secret: String = GeoTests.secret) -> String {
        """
        geo:
          - name: adult
            match: { path_prefix: /adult/ }
            restricted: [GB, US-TX, US-UT]
            action:
              require_age_token:
                cookie: age_token
                header: X-Age-Token
                claim: age_over_18
                jwt: { algorithm: HS256, secret: "\(secret)" }
                else_redirect: "https://verify.example/age?return={url}"
          - name: casino
            match: { path_prefix: /casino/ }
            restricted: [GB, US-TX]
            action: deny
            blocked_by: "https://regulator.example/notice"
            unknown_location: allow
          - name: de-only
            match: { path_prefix: /de-only/ }
            allow_countries: [DE]
            action: deny
          - name: adult-unknown-token
            match: { path_prefix: /members/ }
            restricted: [GB]
            action:
              require_age_token: { cookie: age_token, jwt: { algorithm: HS256, secret: "\(secret)" } }
            unknown_location: restricted
        """
    }

    struct Setup {
        var gateway: GatewayProcess
        var upstream: RecordingUpstream
        var database: String
    }

    static func start(trusted: String = "[127.0.0.1]", reload: String = "100ms", layout: String = "city") async throws -> Setup {
        let directory = try TestPaths.temporaryDirectory()
        let database = directory.appendingPathComponent("geo.mmdb").path
        try GeoFixture.write(to: database, layout: layout)
        let upstream = try await RecordingUpstream.start()
        let extra = """
            trusted_proxies: \(trusted)
            audit_log: { destination: stderr }
            geo: { database: \(database), reload_interval: \(reload), forward_location: true }
            """
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [upstream.port], extra: extra), policies: ["geo.yaml": policy()])
        return Setup(gateway: gateway, upstream: upstream, database: database)
    }

    static func get(_ setup: Setup, _ path: String, from client: String? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestHTTPClient.get(port: setup.gateway.httpPort, path: path, headers: (client.map { [("X-Forwarded-For", $0)] } ?? []) + headers)
    }

    static func metrics(_ setup: Setup) async throws -> String {
        try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
    }

    /// `portcullis age-token` against the gateway's own policy directory.
    static func token(_ setup: Setup, rule: String = "adult", arguments: [String] = []) throws -> String {
        try token(policies: setup.gateway.policyDirectory.path, rule: rule, arguments: arguments)
    }

    static func token(policies: String, rule: String = "adult", arguments: [String] = []) throws -> String {
        let output = try Command.run(TestPaths.gatewayBinary, ["age-token", "--policies", policies, "--rule", rule] + arguments)
        guard output.status == 0 else { throw TestFailure("age-token failed: \(output.standardError)") }
        return output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aDeniedCountryGets451WithTheBlockingAuthorityAndProblemJSON() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        let denied = try await Self.get(setup, "/casino/table", from: "81.2.69.142")
        #expect(denied.status == 451)
        #expect(denied.header("Content-Type") == "application/problem+json")
        #expect(denied.header("Link") == "<https://regulator.example/notice>; rel=\"blocked-by\"")
        #expect(denied.json["type"] as? String == "https://portcullis.dev/problems/unavailable-for-legal-reasons")
        #expect(denied.json["status"] as? Int == 451)
        #expect((denied.json["detail"] as? String)?.contains("GB") == true)
        #expect(denied.json["request_id"] as? String == denied.header("X-Request-Id"))
        // A state: Texas is restricted, California is not.
        #expect(try await Self.get(setup, "/casino/table", from: "24.28.0.1").status == 451)
        #expect(try await Self.get(setup, "/casino/table", from: "50.114.0.1").status == 200)
        // Refused requests never reach the application.
        #expect(setup.upstream.receivedText.components(separatedBy: "GET /casino/table").count - 1 == 1)
        let metrics = try await Self.metrics(setup)
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"geo\",rule=\"casino\",outcome=\"denied\"} 2"), "\(metrics)")
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"geo\",rule=\"casino\",outcome=\"allowed\"} 1"))
        try await PolicyReloadTests.waitForLog(setup.gateway, containing: "\"kind\":\"geo\"")
        #expect(setup.gateway.log.contains("\"outcome\":\"denied\""), "\(setup.gateway.log)")
        await setup.upstream.stop()
    }

    @Test func aRestrictedVisitorWithoutATokenIsRedirectedWithTheOriginalURL() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        let response = try await Self.get(setup, "/adult/page?x=1&y=%C3%A9", from: "81.2.69.142")
        #expect(response.status == 302)
        let port = setup.gateway.httpPort
        #expect(response.header("Location") == "https://verify.example/age?return=http%3A%2F%2F127.0.0.1%3A\(port)%2Fadult%2Fpage%3Fx%3D1%26y%3D%25C3%25A9", "\(response.header("Location") ?? "none")")
        #expect(response.header("Cache-Control") == "no-store")
        // Utah too; Washington is served.
        #expect(try await Self.get(setup, "/adult/page", from: "67.43.156.1").status == 302)
        #expect(try await Self.get(setup, "/adult/page", from: "216.160.83.56").status == 200)
        #expect(try await Self.metrics(setup).contains("portcullis_policy_decisions_total{kind=\"geo\",rule=\"adult\",outcome=\"redirected\"} 2"))
        await setup.upstream.stop()
    }

    @Test func aValidAgeTokenLetsARestrictedVisitorThrough() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        let token = try Self.token(setup)
        // In the cookie (the first sight is verified off the loop), again (cached), and in the header.
        for _ in 1...2 {
            #expect(try await Self.get(setup, "/adult/page", from: "81.2.69.142", headers: [("Cookie", "theme=dark; age_token=\(token)")]).status == 200)
        }
        #expect(try await Self.get(setup, "/adult/page", from: "24.28.0.1", headers: [("X-Age-Token", "Bearer \(token)")]).status == 200)
        // A token without a valid age claim, expired, not yet valid, signed with another key, or unsigned: redirected.
        let otherIssuer = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: otherIssuer) }
        try Self.policy(secret: "another-secret-of-the-other-issuer-0123456789").write(to: otherIssuer.appendingPathComponent("geo.yaml"), atomically: true, encoding: .utf8)
        let unsigned = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + Self.base64URL(#"{"age_over_18":true,"exp":\#(Int(Date().timeIntervalSince1970) + 3600)}"#) + "."
        let refused = [
            ("claim false", try Self.token(setup, arguments: ["--claim-value", "false"])),
            ("expired", try Self.token(setup, arguments: ["--ttl=-60"])),
            ("not yet valid", try Self.token(setup, arguments: ["--not-before", "3600"])),
            ("another key", try Self.token(policies: otherIssuer.path)),
            ("alg none", unsigned),
            ("garbage", "not.a.token"),
        ]
        for (label, bad) in refused {
            let response = try await Self.get(setup, "/adult/page", from: "81.2.69.142", headers: [("Cookie", "age_token=\(bad)")])
            #expect(response.status == 302, "\(label)")
        }
        // Without else_redirect, a refused token gets 451.
        #expect(try await Self.get(setup, "/members/", from: "81.2.69.142", headers: [("Cookie", "age_token=\(unsigned)")]).status == 451)
        #expect(try await Self.get(setup, "/members/", from: "81.2.69.142", headers: [("Cookie", "age_token=\(token)")]).status == 200)
        let metrics = try await Self.metrics(setup)
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"geo\",rule=\"adult\",outcome=\"granted\"} 3"), "\(metrics)")
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"geo\",rule=\"adult\",outcome=\"redirected\"} 6"))
        await setup.upstream.stop()
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func anUnknownLocationGetsTheRulesOwnAction() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        // Not in the database, and a private range: denied by default on the restricted route.
        for client in ["192.0.2.1", "10.1.2.3"] {
            let response = try await Self.get(setup, "/adult/page", from: client)
            #expect(response.status == 451, "\(client)")
            #expect((response.json["detail"] as? String)?.contains("could not be determined") == true)
        }
        // unknown_location: allow.
        #expect(try await Self.get(setup, "/casino/table", from: "192.0.2.1").status == 200)
        // unknown_location: restricted: the rule's action, so an age token lets it through.
        #expect(try await Self.get(setup, "/members/", from: "192.0.2.1").status == 451)
        #expect(try await Self.get(setup, "/members/", from: "192.0.2.1", headers: [("Cookie", "age_token=\(try Self.token(setup))")]).status == 200)
        let metrics = try await Self.metrics(setup)
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"geo\",rule=\"adult\",outcome=\"unknown_location\"} 2"), "\(metrics)")
        #expect(metrics.contains("portcullis_geo_lookups_total{result=\"private\"}"))
        #expect(!metrics.contains("portcullis_geo_lookups_total{result=\"not_found\"} 0"))
        await setup.upstream.stop()
    }

    @Test func ipv6AndIPv4MappedAddressesAreLookedUp() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        #expect(try await Self.get(setup, "/de-only/x", from: "2a02:8100::1").status == 200)
        #expect(try await Self.get(setup, "/de-only/x", from: "[2a02:8100::1]:443").status == 200)
        #expect(try await Self.get(setup, "/de-only/x", from: "81.2.69.142").status == 451)
        #expect(try await Self.get(setup, "/casino/x", from: "::ffff:81.2.69.142").status == 451)
        #expect(try await Self.get(setup, "/casino/x", from: "2001:480::1").status == 451)
        #expect(try await Self.get(setup, "/casino/x", from: "2001:db8::1").status == 200)
        await setup.upstream.stop()
    }

    @Test func theApplicationIsToldTheLocationAndClientCopiesAreRemoved() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        let forged = [("X-Geo-Country", "FR"), ("X-Geo-Subdivision", "FR-75"), ("x-geo-country", "IT")]
        #expect(try await Self.get(setup, "/page-one", from: "24.28.0.1", headers: forged).status == 200)
        #expect(try await Self.get(setup, "/page-two", from: "192.0.2.1", headers: forged).status == 200)
        let received = setup.upstream.receivedText
        let requests = received.components(separatedBy: "GET ").dropFirst()
        let one = try #require(requests.first { $0.hasPrefix("/page-one") })
        let two = try #require(requests.first { $0.hasPrefix("/page-two") })
        #expect(one.contains("X-Geo-Country: US\r\n"), "\(one)")
        #expect(one.contains("X-Geo-Subdivision: US-TX\r\n"))
        // An unknown location gets no X-Geo-*; a client's own never passes.
        #expect(!two.lowercased().contains("x-geo-"), "\(two)")
        #expect(!received.contains("FR") && !received.contains("IT\r\n"))
        await setup.upstream.stop()
    }

    @Test func anUntrustedPeersForgedForwardedForIsIgnored() async throws {
        let setup = try await Self.start(trusted: "[]")
        defer { setup.gateway.stop() }
        // The peer (127.0.0.1, a private address) is the client, whatever it claims.
        #expect(try await Self.get(setup, "/casino/table", from: "81.2.69.142").status == 200)
        #expect(try await Self.get(setup, "/adult/page", from: "216.160.83.56").status == 451)
        #expect(try await Self.metrics(setup).contains("portcullis_geo_lookups_total{result=\"found\"} 0"))
        await setup.upstream.stop()
    }

    @Test func aDatabaseReplacedOnDiskAnswersWithoutARestartAndACorruptOneIsRefused() async throws {
        let setup = try await Self.start()
        defer { setup.gateway.stop() }
        #expect(try await Self.get(setup, "/casino/table", from: "50.114.0.1").status == 200)
        // California's block moves to Great Britain in the new file.
        try GeoFixture.write(to: setup.database, sets: ["50.114.0.0/24=GB"])
        try await PolicyReloadTests.waitForLog(setup.gateway, containing: "geo database reloaded")
        #expect(try await Self.get(setup, "/casino/table", from: "50.114.0.1").status == 451)
        // A corrupt replacement is refused: the last good database stays in use.
        let corrupt = setup.database + ".new"
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: corrupt))
        #expect(rename(corrupt, setup.database) == 0)
        try await PolicyReloadTests.waitForLog(setup.gateway, containing: "geo database replacement refused")
        #expect(try await Self.get(setup, "/casino/table", from: "50.114.0.1").status == 451)
        #expect(try await Self.get(setup, "/casino/table", from: "24.28.0.1").status == 451)
        let metrics = try await Self.metrics(setup)
        #expect(metrics.contains("portcullis_geo_database_reloads_total{result=\"ok\"} 1"), "\(metrics)")
        #expect(metrics.contains("portcullis_geo_database_reloads_total{result=\"failed\"} 1"))
        #expect(metrics.contains("portcullis_geo_database_info{path=\"\(setup.database)\",type=\"GeoIP2-City\""))
        await setup.upstream.stop()
    }

    @Test func aMissingDatabaseStopsTheStartWithAClearError() async throws {
        let upstream = try await RecordingUpstream.start()
        let extra = "geo: { database: /nonexistent/GeoLite2-City.mmdb }"
        let gateway = try GatewayProcess(configBody: Upstreams.config(endpoints: [upstream.port], extra: extra), policies: ["geo.yaml": Self.policy()])
        defer { gateway.stop() }
        let deadline = Date().addingTimeInterval(20)
        while gateway.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!gateway.process.isRunning)
        #expect(gateway.process.terminationStatus != 0)
        #expect(gateway.log.contains("geo rule 'adult'"), "\(gateway.log)")
        #expect(gateway.log.contains("/nonexistent/GeoLite2-City.mmdb"))
        await upstream.stop()
    }

    @Test func aCountryLayoutDatabaseServesCountryRules() async throws {
        let setup = try await Self.start(layout: "country")
        defer { setup.gateway.stop() }
        #expect(try await Self.get(setup, "/casino/x", from: "81.2.69.142").status == 451)
        // Texas cannot be told from California without subdivisions: the rule's unknown_location decides (allow).
        #expect(try await Self.get(setup, "/casino/x", from: "50.114.0.1").status == 200)
        // ... and on the adult route (deny by default).
        #expect(try await Self.get(setup, "/adult/x", from: "50.114.0.1").status == 451)
        #expect(try await Self.get(setup, "/adult/x", from: "2a02:8100::1").status == 200)
        await setup.upstream.stop()
    }

    /// The README's walk-through: the shipped policies/geo.yaml in front of the demo application.
    @Test func theShippedPolicyGatesTheDemoAdultPages() async throws {
        let demo = try await Upstreams.demo()
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("demo-city.mmdb").path
        try GeoFixture.write(to: database)
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort], extra: """
            trusted_proxies: [127.0.0.1, "::1"]
            geo: { database: \(database), forward_location: true }
            """), policies: try ShippedPolicies.files(geo: true))
        defer { gateway.stop() }
        let redirected = try await TestHTTPClient.get(port: gateway.httpPort, path: "/adult/page", headers: [("X-Forwarded-For", "81.2.69.142")])
        #expect(redirected.status == 302)
        #expect(redirected.header("Location")?.hasPrefix("https://verify.example/age?return=http%3A%2F%2F127.0.0.1") == true)
        let token = try Self.token(policies: gateway.policyDirectory.path, rule: "adult-content")
        let served = try await TestHTTPClient.get(port: gateway.httpPort, path: "/adult/page", headers: [("X-Forwarded-For", "81.2.69.142"), ("Cookie", "age_token=\(token)")])
        #expect(served.status == 200)
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/adult/page", headers: [("X-Forwarded-For", "2a02:8100::1")]).status == 200)
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/adult/page", headers: [("X-Forwarded-For", "24.28.0.1")]).status == 302)
        // The application hears where its visitors are.
        let echoed = try await TestHTTPClient.get(port: gateway.httpPort, path: "/echo", headers: [("X-Forwarded-For", "24.28.0.1"), ("X-Geo-Country", "FR")])
        #expect(echoed.echoedHeader("X-Geo-Country") == "US")
        #expect(echoed.echoedHeader("X-Geo-Subdivision") == "US-TX")
        try await demo.stop()
    }
}
