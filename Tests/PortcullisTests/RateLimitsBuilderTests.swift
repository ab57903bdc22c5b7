import Testing
@testable import Portcullis

@Suite struct RateLimitsBuilderTests {
    private func problems(_ yaml: String, environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)], environment: environment)
            Issue.record("expected the policies to be refused, they loaded", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func compilesTheDemoShape() throws {
        let yaml = """
            rate_limits:
              - name: withdrawals
                match: { methods: [POST], path: /api/wallet/withdraw }
                key: header:X-User-Id
                limits: [3/1h, { requests: 2, per: 1s }]
                penalty: { after_violations: 5, ban: 15m }
                on_store_error: deny
            """
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)])
        let rule = try #require(set.rateLimits.rules.first)
        #expect(rule.key.parts == [.header("x-user-id")])
        #expect(rule.fallbackKey?.parts == [.address])
        #expect(rule.windows.map(\.description) == ["2/1s", "3/3600s"])
        #expect(rule.policyHeader == "\"withdrawals-1s\";q=2;w=1, \"withdrawals-1h\";q=3;w=3600")
        #expect(rule.penalty == RateLimitPenalty(afterViolations: 5, within: 3_600_000_000_000, ban: 900_000_000_000))
        #expect(rule.onStoreError == .deny)
        #expect(!rule.sendsHeaders)
        #expect(set.ruleNames == ["withdrawals"])
    }

    @Test func badWindowsAndCountsAreReportedWhereWritten() {
        let yaml = """
            rate_limits:
              - name: login
                match: { path: /login }
                limits: [2/0s, x/1m, 5, { requests: 0, per: 1m }, { requests: 3, per: soon }]
            """
        #expect(problems(yaml) == [
            "p.yaml:4:14: rule 'login': rate_limits[0].limits[0] is '2/0s'; expected REQUESTS/WINDOW like 5/1m, where WINDOW is a duration from 1s to 30d",
            "p.yaml:4:20: rule 'login': rate_limits[0].limits[1] is 'x/1m'; expected REQUESTS/WINDOW like 5/1m, where REQUESTS is a whole number from 1 to 100000000",
            "p.yaml:4:26: rule 'login': rate_limits[0].limits[2] is '5'; expected REQUESTS/WINDOW like 5/1m or 2/1s",
            "p.yaml:4:41: rule 'login': rate_limits[0].limits[3].requests must be a whole number from 1 to 100000000; found '0'",
            "p.yaml:4:75: rule 'login': rate_limits[0].limits[4].per must be a duration from 1s to 30d, like 1s, 1m or 1h; found 'soon'",
        ])
    }

    @Test func unknownKeyKindsGetASuggestion() {
        let yaml = "rate_limits:\n  - name: a\n    match: { path: /a }\n    key: ip+haeder:X-Api-Key\n    limits: [1/1s]\n"
        #expect(problems(yaml) == ["p.yaml:4:10: rule 'a': rate_limits[0].key has the unknown key kind 'haeder' in 'ip+haeder:X-Api-Key'; did you mean 'header'?"])
    }

    @Test func missingKeysDuplicatesAndTooManyWindows() {
        let yaml = """
            rate_limits:
              - name: a
                match: { path: /a }
              - name: b
                match: { path: /b }
                key: ip
                limits: [1/1s, 2/1s]
              - name: c
                match: { path: /c }
                key: ip
                limits: [1/1s, 2/1m, 3/1h, 4/1d, 5/7d]
              - name: d
                match: { path: /d }
                key: header:X
                fallback_key: cookie:sid
                limits: [1/1s]
                penalty: { after_violations: 3, ban: 1m, max_ban: 30s }
                on_store_error: maybe
            """
        #expect(problems(yaml) == [
            "p.yaml:2:5: rule 'a': rate_limits[0] is missing required key 'limits'; expected limits: [5/1m] or [{ requests: 5, per: 1m }]",
            "p.yaml:7:20: rule 'b': rate_limits[1].limits[1] is a second limit per 1s (the first is 1/1s); expected one limit per window length",
            "p.yaml:11:38: rule 'c': rate_limits[2].limits has 5 limits; expected at most 4 per rule",
            "p.yaml:15:19: rule 'd': rate_limits[3].fallback_key is 'cookie:sid', which a request can lack too; expected ip, ip/N or ip6/N (always present), or none to leave such requests unlimited",
            "p.yaml:17:55: rule 'd': rate_limits[3].penalty.max_ban is shorter than ban (60s); expected at least the first ban",
            "p.yaml:18:21: rule 'd': rate_limits[3].on_store_error must be allow (fail open) or deny (fail closed); found 'maybe'",
        ])
    }

    @Test func shadowedRulesAreUnreachable() {
        let yaml = """
            rate_limits:
              - name: api
                match: { path_prefix: /api/ }
                key: ip
                limits: [100/1m]
              - name: login
                match: { path: /api/login, methods: [POST] }
                key: ip
                limits: [5/1m]
            """
        #expect(problems(yaml) == [
            "p.yaml:6:5: rule 'login': unreachable: rule 'api' at p.yaml:2 already matches everything this rule matches; expected it before 'api' or a narrower match on 'api'",
        ])
    }

    @Test func jwtKeysAreChecked() {
        let noBlock = "rate_limits:\n  - name: a\n    match: { path: /a }\n    key: jwt:sub\n    limits: [1/1s]\n"
        #expect(problems(noBlock) == ["p.yaml:4:10: rule 'a': rate_limits[0].key uses a jwt: part but the rule has no jwt block; expected jwt: { algorithm: HS256, secret: \"${JWT_SECRET}\" } (or public_key, or jwks) to verify tokens with"])
        let shortSecret = noBlock + "    jwt: { algorithm: HS256, secret: short }\n"
        #expect(problems(shortSecret) == ["p.yaml:6:38: rule 'a': rate_limits[0].jwt secret is 5 bytes; HS256 needs at least 32 (RFC 7518 §3.2)"])
        let typo = noBlock + "    jwt: { algorithm: HS265, secret: short }\n"
        #expect(problems(typo) == ["p.yaml:6:23: rule 'a': rate_limits[0].jwt algorithm 'HS265' is not supported; did you mean 'HS256'?"])
        let badPEM = noBlock + "    jwt: { algorithm: ES256, public_key: nope }\n"
        #expect(problems(badPEM) == ["p.yaml:6:42: rule 'a': rate_limits[0].jwt public_key is not a PEM EC public key for ES256"])
        let stray = "rate_limits:\n  - name: a\n    match: { path: /a }\n    key: ip\n    limits: [1/1s]\n    jwt: { algorithm: HS256, secret: x }\n"
        #expect(problems(stray) == ["p.yaml:6:10: rule 'a': rate_limits[0].jwt is set but the key has no jwt: part; expected a key like jwt:sub, or no jwt block"])
    }
}
