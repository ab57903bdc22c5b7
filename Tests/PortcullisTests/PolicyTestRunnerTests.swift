import Foundation
import Testing
@testable import Portcullis

@Suite struct PolicyTestRunnerTests {
    static let policy = """
        headers:
          global:
            set: { X-Content-Type-Options: nosniff, Strict-Transport-Security: "max-age=63072000" }
            remove: [Server]
          rules:
            - name: api
              match: { path_prefix: /api/ }
              set: { Cache-Control: no-store }
        """

    private func policies() throws -> PolicySet {
        try PolicyLoader.parse([PolicySource(file: "p.yaml", text: Self.policy)])
    }

    private func cases(_ yaml: String) throws -> [PolicyTestCase] {
        try PolicyTestLoader.parse([PolicySource(file: "t.yaml", text: yaml)], policies: policies())
    }

    private func problems(_ yaml: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try cases(yaml)
            Issue.record("expected the cases to be refused", sourceLocation: sourceLocation)
            return []
        } catch let error as DiagnosticsError {
            return error.diagnostics.map(\.description)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    @Test func shippedCasesPassAgainstShippedPolicies() throws {
        let root = PolicyLoaderTests.repositoryRoot
        let set = try PolicyLoader.load(directory: root.appendingPathComponent("policies").path)
        let cases = try PolicyTestLoader.load(directory: root.appendingPathComponent("policies/tests").path, policies: set)
        #expect(cases.count >= 10)
        for testCase in cases {
            let outcome = PolicyTestRunner.run(testCase, policies: set)
            #expect(outcome.passed, "\(outcome.name): \(outcome.differences)")
        }
    }

    @Test func passingCase() throws {
        let loaded = try cases("""
            - name: api is not cached
              request: { method: GET, url: "https://Example.com:8443/api/items?page=2" }
              response: { status: 200, headers: { Server: demo } }
              expect:
                headers: { Cache-Control: no-store, X-Content-Type-Options: nosniff }
                absent: [Server]
                rule: api
            """)
        let testCase = try #require(loaded.first)
        #expect(testCase.request.host == "example.com")
        #expect(testCase.request.target == "/api/items?page=2")
        #expect(testCase.request.isTLS)
        #expect(testCase.location == SourceLocation(file: "t.yaml", line: 1, column: 3))
        #expect(PolicyTestRunner.run(testCase, policies: try policies()).passed)
    }

    @Test func failingCaseListsEveryDifference() throws {
        let loaded = try cases("""
            - name: wrong expectations
              request: { url: "http://localhost/web" }
              response: { headers: { Server: demo, Set-Cookie: [a=1, b=2] } }
              expect:
                headers:
                  Cache-Control: no-store
                  Strict-Transport-Security: "max-age=63072000"
                  Set-Cookie: [a=1]
                  X-Content-Type-Options: [nosniff]
                absent: [X-Content-Type-Options]
                rule: api
            """)
        let outcome = PolicyTestRunner.run(try #require(loaded.first), policies: try policies())
        #expect(!outcome.passed)
        #expect(outcome.differences == [
            "Cache-Control: expected \"no-store\", got none",
            "Strict-Transport-Security: expected \"max-age=63072000\", got none",
            "Set-Cookie: expected \"a=1\", got \"a=1\", \"b=2\"",
            "X-Content-Type-Options: expected absent, got \"nosniff\"",
            "rule: expected 'api', got 'global'",
        ])
    }

    @Test func badCasesAreReportedWithPositions() {
        let yaml = """
            - name: typo in the rule
              request: { method: GTE, url: "ftp://localhost/" }
              response: { status: 700 }
              expect: { rule: apii, absnt: [Server] }
            - name: typo in the rule
              request: { url: "https://localhost/", client: 300.1.1.1 }
              response: {}
              expect: {}
            - request: { url: "https://localhost/" }
            """
        #expect(problems(yaml) == [
            "t.yaml:2:22: case 'typo in the rule': cases[0].request.method names the unknown method 'GTE'; did you mean 'GET'?",
            "t.yaml:2:32: case 'typo in the rule': cases[0].request.url must be an absolute http:// or https:// URL, like https://localhost/api/items; found 'ftp://localhost/'",
            "t.yaml:3:23: case 'typo in the rule': cases[0].response.status must be a whole number from 100 to 599; found '700'",
            "t.yaml:4:19: case 'typo in the rule': cases[0].expect.rule names 'apii', which is not a rule of the policy; did you mean 'api'?",
            "t.yaml:4:25: case 'typo in the rule': unknown key 'absnt' in cases[0].expect; did you mean 'absent'?",
            "t.yaml:6:49: case 'typo in the rule': cases[1].request.client must be an IPv4 or IPv6 address, like 203.0.113.7; found '300.1.1.1'",
            "t.yaml:8:11: case 'typo in the rule': cases[1].expect checks nothing; expected at least one of status, headers, absent, rule, shadow_rule, cors_rule, rate_limit, geo",
            "t.yaml:9:3: cases[2] is missing required key 'name'",
            "t.yaml:9:3: cases[2] is missing required key 'response'",
            "t.yaml:9:3: cases[2] is missing required key 'expect'",
        ])
    }

    @Test func duplicateCaseNamesAreReported() {
        let one = """
            - name: same
              request: { url: "https://localhost/" }
              response: {}
              expect: { rule: global }
            """
        #expect(problems(one + "\n" + one) == [
            "t.yaml:5:3: case 'same': the name is already used by the case at t.yaml:1; expected unique case names",
        ])
    }

    @Test func urlSplitting() {
        #expect(PolicyTestLoader.splitURL("https://localhost") ?? (false, "", "") == (true, "localhost", "/"))
        #expect(PolicyTestLoader.splitURL("http://[::1]:8080/a?b#c") ?? (true, "", "") == (false, "[::1]", "/a?b"))
        #expect(PolicyTestLoader.splitURL("https://h?x=1") ?? (false, "", "") == (true, "h", "/?x=1"))
        #expect(PolicyTestLoader.splitURL("localhost/") == nil)
        #expect(PolicyTestLoader.splitURL("https://bad host/") == nil)
    }
}
