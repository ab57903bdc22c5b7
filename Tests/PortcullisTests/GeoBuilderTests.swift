import Testing
@testable import Portcullis

@Suite struct GeoBuilderTests {
    private func problems(_ yaml: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)])
            Issue.record("expected the policies to be refused, they loaded", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func compilesTheDemoShape() throws {
        let yaml = """
            geo:
              - name: adult
                match: { path_prefix: /adult/ }
                restricted: [GB, US-TX, US-UT]
                action:
                  require_age_token:
                    cookie: age_token
                    jwt: { algorithm: HS256, secret: "0123456789abcdef0123456789abcdef" }
                    else_redirect: "https://verify.example/?return={url}"
                blocked_by: https://example.com/legal
            """
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)])
        let rule = try #require(set.geo.rules.first)
        #expect(rule.restrictedCountries == ["GB"])
        #expect(rule.restrictedSubdivisions == ["US-TX", "US-UT"])
        #expect(rule.action == .requireAgeToken(elseRedirect: "https://verify.example/?return={url}"))
        #expect(rule.unknownLocation == .deny)
        #expect(rule.ageToken?.cookie == "age_token")
        #expect(rule.ageToken?.claim == "age_over_18")
        #expect(set.ruleNames == ["adult"])
        #expect(set.requestPhases.count == 1)
        // A US location is restricted only in the listed states; without a subdivision it cannot be placed.
        #expect(rule.verdict(for: GeoLocation(country: "GB", subdivision: "GB-ENG")) == .restricted)
        #expect(rule.verdict(for: GeoLocation(country: "US", subdivision: "US-TX")) == .restricted)
        #expect(rule.verdict(for: GeoLocation(country: "US", subdivision: "US-CA")) == .unrestricted)
        #expect(rule.verdict(for: GeoLocation(country: "US")) == .imprecise)
        #expect(rule.verdict(for: GeoLocation(country: "DE")) == .unrestricted)
    }

    @Test func codesAreCheckedAgainstISO3166WhereWritten() {
        let yaml = """
            geo:
              - name: a
                match: { path_prefix: /a/ }
                restricted: [XX, US-ZZ, gb, UK-ENG, US-TX]
                action: deny
              - name: b
                match: { path_prefix: /b/ }
                allow_countries: [DE, US-CA]
                action: deny
            """
        #expect(problems(yaml) == [
            "p.yaml:4:18: rule 'a': geo[0].restricted: 'XX' is not an ISO 3166-1 alpha-2 country code; expected two upper-case letters like GB, US or DE",
            "p.yaml:4:22: rule 'a': geo[0].restricted: 'US-ZZ' is not an ISO 3166-2 subdivision of US; did you mean 'US-AZ'?",
            "p.yaml:4:29: rule 'a': geo[0].restricted: 'gb' is not an ISO 3166-1 alpha-2 country code; did you mean 'GB'? (codes are upper case)",
            "p.yaml:4:33: rule 'a': geo[0].restricted: 'UK-ENG' is not an ISO 3166-2 subdivision: 'UK' is not an ISO 3166-1 country code; expected two upper-case letters like GB, US or DE",
            "p.yaml:8:27: rule 'b': geo[1].allow_countries: 'US-CA' is a subdivision; allow_countries takes ISO 3166-1 country codes only, like DE",
        ])
    }

    @Test func actionsAndTheirPartsAreChecked() {
        let yaml = """
            geo:
              - name: a
                match: { path_prefix: /a/ }
                restricted: [GB]
                action: block
              - name: b
                match: { path_prefix: /b/ }
                restricted: [GB]
                allow_countries: [DE]
                action: { redirect: "verify.example" }
                unknown_location: maybe
              - name: c
                match: { path_prefix: /c/ }
                restricted: [GB]
                action: { require_age_token: { claim: adult, jwt: { algorithm: EdDSA, public_key: nope } } }
              - name: d
                match: { path_prefix: /d/ }
                restricted: GB
            """
        #expect(problems(yaml) == [
            "p.yaml:5:13: rule 'a': geo[0].action is 'block'; expected \(GeoBuilder.actionForms)",
            "p.yaml:9:22: rule 'b': geo[1].allow_countries is set beside restricted; expected one of them: restricted (a deny-list) or allow_countries (an allow-list)",
            "p.yaml:10:25: rule 'b': geo[1].action.redirect must be an absolute http(s) URL or a path starting with '/' without spaces; found 'verify.example'",
            "p.yaml:11:23: rule 'b': geo[1].unknown_location must be one of deny, allow, restricted (restricted: the rule's action applies); found 'maybe'",
            "p.yaml:15:34: rule 'c': geo[2].action.require_age_token needs cookie or header (or both): where the age token is sent",
            "p.yaml:15:87: rule 'c': geo[2].action.require_age_token.jwt public_key is not a PEM Ed25519 public key for EdDSA",
            "p.yaml:16:5: rule 'd': geo[3] has no action; expected action: \(GeoBuilder.actionForms)",
        ])
    }

    @Test func theOriginalURLIsOneQueryValue() {
        #expect(GeoAnswer.location(template: "https://v.example/age?return={url}", originalURL: "https://shop.example/adult/x?a=1&b=é")
            == "https://v.example/age?return=https%3A%2F%2Fshop.example%2Fadult%2Fx%3Fa%3D1%26b%3D%C3%A9")
        #expect(GeoAnswer.location(template: "/verify", originalURL: "http://h/p") == "/verify?return=http%3A%2F%2Fh%2Fp")
    }

    @Test func policyTestCasesSayWhereTheClientIs() throws {
        #expect(GeoPolicyTest.location("US-TX").location == GeoLocation(country: "US", subdivision: "US-TX"))
        #expect(GeoPolicyTest.location("unknown").location == nil && GeoPolicyTest.location("unknown").problem == nil)
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: "geo:\n  - name: g\n    match: { path_prefix: / }\n    restricted: [GB]\n    action: deny\n")])
        do {
            _ = try PolicyTestLoader.parse([PolicySource(file: "t.yaml", text: """
                - name: c
                  request: { url: "https://h/", location: XX }
                  response: { status: 200 }
                  expect: { geo: gg }
                """)], policies: set)
            Issue.record("the case loaded")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "t.yaml:2:43: case 'c': cases[0].request.location: 'XX' is not an ISO 3166-1 alpha-2 country code; expected two upper-case letters like GB, US or DE; or unknown (not in the database)",
                "t.yaml:4:18: case 'c': cases[0].expect.geo names 'gg', which is not a rule of the policy; did you mean 'g'?",
            ])
        }
    }
}
