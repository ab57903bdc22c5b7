import NIOHTTP1
import Testing
@testable import Portcullis

/// The `cors:` kind: its validator's messages and positions, and its decisions.
@Suite struct CORSPolicyTests {
    private func problems(_ yaml: String) -> [String] {
        do {
            _ = try PolicyLoader.parse([PolicySource(file: "c.yaml", text: yaml)])
            Issue.record("expected the policy to be refused")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    private func rule(_ body: String) throws -> CORSRule {
        let set = try PolicyLoader.parse([PolicySource(file: "c.yaml", text: "cors:\n  - name: r\n    match: { path_glob: /api/** }\n" + body)])
        return try #require(set.cors.rules.first)
    }

    private func request(_ method: HTTPMethod, origin: String?, preflightFor: String? = nil, headers: String? = nil) -> CORSDecision.Request {
        CORSDecision.Request(method: method, origin: origin, isTLS: true, authority: "shop.example", requestedMethod: preflightFor, requestedHeaders: headers)
    }

    @Test func everyProblemIsReportedWithItsPosition() {
        let found = problems("""
            cors:
              - name: bad
                match: { path: /api }
                allow_origins: [https://app.example/, "null", "ftp://x.example"]
                allow_methods: [GET, PSOT]
                allow_headers: [X-Ok, "X Bad"]
                max_age: 2d
              - name: wild
                match: { path: /other }
                allow_origins: ["*"]
                allow_credentials: true
                alow_headers: [X-A]
              - name: empty
                match: { path: /empty }
            """)
        #expect(found == [
            "c.yaml:4:21: rule 'bad': cors[0].allow_origins: 'https://app.example/' is not an origin; expected scheme://host[:port] with http or https and nothing after, like https://app.example (without the trailing '/')",
            "c.yaml:4:43: rule 'bad': cors[0].allow_origins: 'null' is the origin of sandboxed frames, local files and redirects, which any site can produce; expected real origins like https://app.example",
            "c.yaml:4:51: rule 'bad': cors[0].allow_origins: 'ftp://x.example' is not an origin; expected scheme://host[:port] with http or https and nothing after, like https://app.example",
            "c.yaml:5:26: rule 'bad': cors[0].allow_methods names the unknown method 'PSOT'; did you mean 'POST'?",
            "c.yaml:6:27: rule 'bad': cors[0].allow_headers: the header name 'X Bad' has a space at character 2; expected letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110 token)",
            "c.yaml:7:14: rule 'bad': cors[0].max_age is '2d'; expected at most 24h (browsers ignore more)",
            "c.yaml:11:24: rule 'wild': cors[1].allow_credentials is true with allow_origins '*'; expected a list of origins with credentials (browsers refuse '*' with credentials, and echoing any origin would let every site act as the user)",
            "c.yaml:12:5: rule 'wild': unknown key 'alow_headers' in cors[1]; did you mean 'allow_headers'?",
            "c.yaml:13:5: rule 'empty': cors[2] has no allow_origins; expected the origins that may call these routes, like [https://app.example]",
        ])
    }

    @Test func shadowedRulesAreUnreachable() {
        let found = problems("""
            cors:
              - name: all-api
                match: { path_glob: /api/** }
                allow_origins: [https://a.example]
              - name: items
                match: { path: /api/items }
                allow_origins: [https://b.example]
            """)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("c.yaml:5:5: rule 'items': unreachable: rule 'all-api' at c.yaml:2") == true)
    }

    @Test func originsAreMatchedAsBrowsersSerializeThem() throws {
        let cors = try rule("    allow_origins: [https://app.example, \"https://*.partner.example\", \"http://localhost:3000\"]\n")
        #expect(cors.origins.allows("https://app.example"))
        #expect(cors.origins.allows("HTTPS://APP.EXAMPLE:443"))
        #expect(!cors.origins.allows("http://app.example"))
        #expect(!cors.origins.allows("https://app.example.evil.example"))
        #expect(!cors.origins.allows("https://evilapp.example"))
        #expect(cors.origins.allows("https://eu.partner.example"))
        #expect(!cors.origins.allows("https://partner.example"))
        #expect(!cors.origins.allows("https://eu.partner.example.evil"))
        #expect(!cors.origins.allows("https://evilpartner.example"))
        #expect(cors.origins.allows("http://localhost:3000"))
        #expect(!cors.origins.allows("http://localhost:3001"))
        #expect(!cors.origins.allows("null"))
    }

    @Test func decisions() throws {
        let cors = try rule("    allow_origins: [https://app.example]\n    allow_methods: [GET, POST]\n    allow_headers: [X-User-Id]\n    allow_credentials: true\n")
        guard case .notCrossOrigin = CORSDecision.decide(request(.POST, origin: nil), rule: cors) else { Issue.record("no Origin"); return }
        guard case .notCrossOrigin = CORSDecision.decide(request(.POST, origin: "https://shop.example"), rule: cors) else { Issue.record("same origin"); return }
        guard case .allow(let grant) = CORSDecision.decide(request(.POST, origin: "https://app.example"), rule: cors) else { Issue.record("allowed"); return }
        #expect(grant.origin == "https://app.example")
        guard case .forwardWithoutGrant = CORSDecision.decide(request(.GET, origin: "https://evil.example"), rule: cors) else { Issue.record("read"); return }
        guard case .refuse(let refusal) = CORSDecision.decide(request(.DELETE, origin: "https://evil.example"), rule: cors) else { Issue.record("write"); return }
        #expect(refusal.status == .forbidden)
        guard case .preflight(let headers) = CORSDecision.decide(request(.OPTIONS, origin: "https://app.example", preflightFor: "POST", headers: "X-User-Id, Content-Type"), rule: cors) else { Issue.record("preflight"); return }
        #expect(headers["Access-Control-Allow-Methods"] == ["GET, POST"])
        #expect(headers["Access-Control-Allow-Credentials"] == ["true"])
        guard case .refuse = CORSDecision.decide(request(.OPTIONS, origin: "https://app.example", preflightFor: "DELETE"), rule: cors) else { Issue.record("method"); return }
        guard case .refuse = CORSDecision.decide(request(.OPTIONS, origin: "https://app.example", preflightFor: "POST", headers: "x-admin"), rule: cors) else { Issue.record("header"); return }
    }
}
