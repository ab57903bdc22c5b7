import Foundation
import Testing
@testable import Portcullis

@Suite struct PolicyLoaderTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func load(_ files: [(String, String)], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> PolicySet? {
        do {
            return try PolicyLoader.parse(files.map { PolicySource(file: $0.0, text: $0.1) })
        } catch {
            Issue.record("expected the policies to load, got:\n\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Every diagnostic as the security team sees it: `file:line:column: message`.
    private func problems(_ files: [(String, String)], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try PolicyLoader.parse(files.map { PolicySource(file: $0.0, text: $0.1) })
            Issue.record("expected the policies to be refused, they loaded", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    private func problems(_ yaml: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        problems([("p.yaml", yaml)], sourceLocation: sourceLocation)
    }

    // MARK: Valid files

    @Test func shippedPoliciesLoad() throws {
        let directory = Self.repositoryRoot.appendingPathComponent("policies").path
        let set: PolicySet
        do {
            set = try PolicyLoader.load(directory: directory)
        } catch {
            Issue.record("policies/ must load:\n\(error)")
            return
        }
        #expect(set.files == [directory + "/cors.yaml", directory + "/geo.yaml", directory + "/headers.yaml", directory + "/rate-limits.yaml", directory + "/uploads.yaml"])
        #expect(set.uploads.rules.map(\.name) == ["demo-upload"])
        #expect(set.geo.rules.map(\.name) == ["adult-content"])
        #expect(set.cors.rules.map(\.name) == ["api-cors"])
        #expect(set.headers.rules.map(\.name) == ["default-html", "api", "downloads-no-store", "health"])
        #expect(set.headers.rules.map(\.mode) == [.enforce, .enforce, .shadow, .enforce])
        let global = set.headers.global
        #expect(global.remove == ["server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version"])
        #expect(global.set.map(\.name).contains("Strict-Transport-Security"))
        #expect(global.defaults.map(\.name) == ["Content-Security-Policy"])
        #expect(global.cookies == CookieHardening(secure: true, httpOnly: true, sameSite: .lax))
        let api = try #require(set.headers.rules.first { $0.name == "api" })
        #expect(api.actions.cookies == CookieHardening(secure: true, httpOnly: true, sameSite: .strict))
        let health = try #require(set.headers.rules.last)
        #expect(health.actions.set.map(\.name) == ["Cache-Control"])
        #expect(health.actions.remove == ["server"])
        #expect(health.actions.cookies == nil)
    }

    @Test func rulesFromSeveralFilesMergeInFileOrder() throws {
        let set = try #require(load([
            ("10-global.yaml", "headers:\n  global:\n    set: { X-Content-Type-Options: nosniff }\n  rules:\n    - name: a\n      match: { path: /a }\n"),
            ("20-more.yml", "headers:\n  rules:\n    - name: b\n      match: { path: /b }\n      set: { X-B: yes }\n"),
        ]))
        #expect(set.headers.rules.map(\.name) == ["a", "b"])
        #expect(set.headers.rules[1].actions.set.map(\.name) == ["X-Content-Type-Options", "X-B"])
        #expect(set.headers.rules[1].common.location == SourceLocation(file: "20-more.yml", line: 3, column: 7))
    }

    @Test func fileWithOnlyCommentsIsAccepted() throws {
        let set = try #require(load([("empty.yaml", "# nothing yet\n"), ("h.yaml", "headers:\n  global:\n    remove: [Server]\n")]))
        #expect(set.headers.global.remove == ["server"])
    }

    @Test func directoryReadsYAMLFilesSortedAndSkipsSubdirectories() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-dir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tests"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "headers:\n  rules:\n    - name: second\n      match: { path: /2 }\n".write(to: directory.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        try "headers:\n  rules:\n    - name: first\n      match: { path: /1 }\n".write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "not: a policy\n".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try "- name: a case\n".write(to: directory.appendingPathComponent("tests/cases.yaml"), atomically: true, encoding: .utf8)
        let set = try PolicyLoader.load(directory: directory.path)
        #expect(set.headers.rules.map(\.name) == ["first", "second"])
    }

    @Test func emptyOrMissingDirectoryIsAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: DiagnosticsError.self) { try PolicyLoader.load(directory: directory.path) }
        do {
            _ = try PolicyLoader.load(directory: directory.path + "/missing")
            Issue.record("a missing directory must be refused")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["cannot read the directory; expected a directory of *.yaml policy files"])
        }
    }

    // MARK: Unknown keys and kinds

    @Test func unknownTopLevelKeySuggestsTheClosest() {
        #expect(problems("header:\n  global: {}\n") == ["p.yaml:1:1: unknown key 'header' in the top level; did you mean 'headers'?"])
    }

    @Test func unknownKeyInARuleNamesTheRule() {
        let yaml = """
            headers:
              rules:
                - name: api
                  match: { path_prefix: /api/ }
                  sett: { Cache-Control: no-store }
            """
        #expect(problems(yaml) == ["p.yaml:5:7: rule 'api': unknown key 'sett' in headers.rules[0]; did you mean 'set'?"])
    }

    @Test func unknownMatchKeySuggestsTheClosest() {
        let yaml = """
            headers:
              rules:
                - name: api
                  match: { path_prefx: /api/ }
            """
        #expect(problems(yaml) == ["p.yaml:4:16: rule 'api': unknown key 'path_prefx' in headers.rules[0].match; did you mean 'path_prefix'?"])
    }

    @Test func unknownKeyInGlobalHasNoRulePrefix() {
        #expect(problems("headers:\n  global:\n    defaults: { X-A: b }\n") == ["p.yaml:3:5: unknown key 'defaults' in headers.global; did you mean 'default'?"])
    }

    @Test func missingNameAndMatchAreReportedAtTheRule() {
        let yaml = """
            headers:
              rules:
                - set: { X-A: b }
            """
        #expect(problems(yaml) == [
            "p.yaml:3:7: headers.rules[0] is missing required key 'name'",
            "p.yaml:3:7: headers.rules[0] is missing required key 'match'",
        ])
    }

    @Test func yamlSyntaxErrorHasItsPosition() {
        let found = problems("headers:\n  global:\n    set: { X-A: b\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("p.yaml:4:") == true)
        #expect(found.first?.contains("YAML syntax error") == true)
    }

    /// Found by fuzzing: an unclosed flow collection at the end of a file without a final line
    /// break was reported on a line the file does not have.
    @Test func syntaxErrorAtTheEndOfAFileWithoutAFinalNewlineIsInsideTheFile() {
        #expect(problems("headers:\n  global:\n    set: [X-A") == ["p.yaml:3:14: YAML syntax error: did not find expected ',' or ']'"])
    }

    /// `---` alone, without a line break (found by the config-loader fuzz target, 2026-11-23).
    @Test func anEmptyDocumentWithoutAFinalNewlineIsReportedOnItsLine() {
        let found = problems("---")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("p.yaml:1:4: ") == true)
    }

    // MARK: Wrong types

    @Test func wrongTypesNameWhatIsExpected() {
        let yaml = """
            headers:
              rules:
                - name: api
                  match: { path: /api }
                  inherit: maybe
                  set: [Cache-Control]
                  remove: { Server: true }
                  mode: audit
            """
        #expect(problems(yaml) == [
            "p.yaml:5:16: rule 'api': headers.rules[0].inherit must be true or false; found 'maybe'",
            "p.yaml:6:12: rule 'api': headers.rules[0].set must be a mapping of header names to values, like { X-Content-Type-Options: nosniff }; found a list",
            "p.yaml:7:15: rule 'api': headers.rules[0].remove must be a list; found a mapping",
            "p.yaml:8:13: rule 'api': headers.rules[0].mode must be one of enforce, shadow; found 'audit'",
        ])
    }

    @Test func headersSectionMustBeAMapping() {
        #expect(problems("headers: [a, b]\n") == ["p.yaml:1:10: headers must be a mapping with keys global, rules; found a list"])
    }

    @Test func headerValueMustBeAString() {
        let yaml = "headers:\n  global:\n    set:\n      X-A: [1, 2]\n"
        #expect(problems(yaml) == ["p.yaml:4:12: headers.global.set: header 'X-A' must have a string value; found a list"])
    }

    // MARK: Header names and values

    @Test func headerValueWithCarriageReturnIsRefused() {
        let yaml = """
            headers:
              rules:
                - name: api
                  match: { path_prefix: /api/ }
                  set:
                    X-Note: "first\\r\\nSet-Cookie: injected=1"
            """
        #expect(problems(yaml) == [
            "p.yaml:6:17: rule 'api': headers.rules[0].set: header 'X-Note' has a carriage return (CR) at character 6; expected a field value without CR, LF, NUL or other control characters (RFC 9110 §5.5)",
        ])
    }

    @Test func headerValueWhitespaceAndNonASCIIAreRefused() {
        let yaml = """
            headers:
              global:
                set:
                  X-A: " padded"
                  X-B: "trailing\\t"
                  X-C: "café"
                  X-D: ""
            """
        #expect(problems(yaml) == [
            "p.yaml:4:12: headers.global.set: header 'X-A' starts with whitespace; expected a value without leading or trailing whitespace (RFC 9110 §5.5)",
            "p.yaml:5:12: headers.global.set: header 'X-B' ends with whitespace; expected a value without leading or trailing whitespace (RFC 9110 §5.5)",
            "p.yaml:6:12: headers.global.set: header 'X-C' has the non-ASCII character 'é' at character 4; expected ASCII (percent-encode URLs)",
            "p.yaml:7:12: headers.global.set: header 'X-D' has an empty value; expected a value (use remove to drop a header)",
        ])
    }

    @Test func headerNameMustBeAToken() {
        let yaml = "headers:\n  global:\n    set: { \"X Frame\": DENY }\n    remove: [\"Server:\"]\n"
        #expect(problems(yaml) == [
            "p.yaml:3:12: headers.global.set: the header name 'X Frame' has a space at character 2; expected letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110 token)",
            "p.yaml:4:14: headers.global.remove: the header name 'Server:' has the character ':' at character 7; expected letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110 token)",
        ])
    }

    @Test func framingHeadersAndSetCookieAreRefused() {
        let yaml = "headers:\n  global:\n    set: { Content-Length: \"0\", Set-Cookie: a=b }\n    remove: [Transfer-Encoding]\n"
        #expect(problems(yaml) == [
            "p.yaml:3:12: headers.global.set: 'Content-Length' frames the message or describes the connection, so the gateway manages it; expected a header of the response's content",
            "p.yaml:3:33: headers.global.set: 'Set-Cookie' cannot be set by a policy; expected cookies: to harden the application's cookies",
            "p.yaml:4:14: headers.global.remove: 'Transfer-Encoding' frames the message or describes the connection, so the gateway manages it; expected a header of the response's content",
        ])
    }

    @Test func sameHeaderTwiceInABlockIsRefused() {
        let yaml = """
            headers:
              global:
                set: { X-Frame-Options: DENY }
                default: { x-frame-options: SAMEORIGIN }
                remove: [X-FRAME-OPTIONS]
            """
        #expect(problems(yaml) == [
            "p.yaml:4:16: headers.global.default: header 'x-frame-options' is already in set (line 3); expected each header once per block across set, default, csp_report_only, remove and keep (names are case-insensitive)",
            "p.yaml:5:14: headers.global.remove: header 'X-FRAME-OPTIONS' is already in set (line 3); expected each header once per block across set, default, csp_report_only, remove and keep (names are case-insensitive)",
        ])
    }

    @Test func hstsNeedsMaxAge() {
        let yaml = "headers:\n  global:\n    set: { Strict-Transport-Security: includeSubDomains }\n"
        #expect(problems(yaml) == [
            "p.yaml:3:39: headers.global.set: Strict-Transport-Security has no max-age directive; expected a value like \"max-age=63072000; includeSubDomains\"",
        ])
        let preload = "headers:\n  global:\n    set: { Strict-Transport-Security: \"max-age=300; preload\" }\n"
        #expect(problems(preload) == [
            "p.yaml:3:39: headers.global.set: Strict-Transport-Security has preload without includeSubDomains and max-age of at least 31536000; expected both (hstspreload.org requirements)",
        ])
    }

    // MARK: Cookies

    @Test func sameSiteNoneWithoutSecureIsRefused() {
        let yaml = """
            headers:
              rules:
                - name: embed
                  match: { path_prefix: /embed/ }
                  cookies: { same_site: None }
            """
        #expect(problems(yaml) == [
            "p.yaml:5:29: rule 'embed': headers.rules[0].cookies.same_site is None without secure: true; expected secure: true beside it (browsers reject SameSite=None cookies that are not Secure), or same_site Lax or Strict",
        ])
    }

    @Test func sameSiteNoneIsAcceptedWithInheritedSecure() throws {
        let yaml = """
            headers:
              global:
                cookies: { secure: true }
              rules:
                - name: embed
                  match: { path_prefix: /embed/ }
                  cookies: { same_site: none }
            """
        let set = try #require(load([("p.yaml", yaml)]))
        #expect(set.headers.rules[0].actions.cookies == CookieHardening(secure: true, sameSite: .noRestriction))
    }

    @Test func sameSiteMisspeltSuggestsTheClosest() {
        let yaml = "headers:\n  global:\n    cookies: { same_site: Laxx }\n"
        #expect(problems(yaml) == ["p.yaml:3:27: headers.global.cookies.same_site must be one of Strict, Lax, None; found 'Laxx'; did you mean 'Lax'?"])
    }

    @Test func sameSiteNoneInGlobalWithoutSecure() {
        let yaml = "headers:\n  global:\n    cookies: { http_only: true, same_site: None }\n"
        #expect(problems(yaml) == [
            "p.yaml:3:44: headers.global.cookies.same_site is None without secure: true; expected secure: true beside it (browsers reject SameSite=None cookies that are not Secure), or same_site Lax or Strict",
        ])
    }

    // MARK: Rule names

    @Test func duplicateRuleNameAcrossFilesIsReportedAtTheSecond() {
        let first = """
            headers:
              rules:
                - name: api
                  match: { path_prefix: /api/ }
            """
        let second = """
            # more API rules
            headers:
              rules:
                - name: api
                  match: { path_prefix: /v2/ }
            """
        #expect(problems([("a.yaml", first), ("b.yaml", second)]) == [
            "b.yaml:4:13: rule 'api': the name is already used by the rule at a.yaml:3; expected rule names unique across all policy files",
        ])
    }

    @Test func badRuleNamesAreRefused() {
        let yaml = """
            headers:
              rules:
                - name: global
                  match: {}
                - name: "my rule"
                  match: {}
            """
        #expect(problems(yaml) == [
            "p.yaml:3:13: headers.rules[0].name 'global' is reserved (it names the global header block); expected another name",
            "p.yaml:5:13: headers.rules[1].name must be 1 to 64 letters, digits, '-', '_' or '.'; found 'my rule'",
        ])
    }

    @Test func globalBlockTwiceAcrossFiles() {
        let global = "headers:\n  global:\n    remove: [Server]\n"
        #expect(problems([("a.yaml", global), ("b.yaml", global)]) == [
            "b.yaml:3:5: headers.global is already defined at a.yaml:3; expected one global block across all policy files",
        ])
    }

    // MARK: Match

    @Test func unknownMethodSuggestsTheClosest() {
        let yaml = """
            headers:
              rules:
                - name: writes
                  match: { methods: [POST, PTCH, get, BREW] }
            """
        #expect(problems(yaml) == [
            "p.yaml:4:32: rule 'writes': headers.rules[0].match.methods names the unknown method 'PTCH'; did you mean 'PATCH'?",
            "p.yaml:4:38: rule 'writes': headers.rules[0].match.methods names the unknown method 'get'; did you mean 'GET'?",
            "p.yaml:4:43: rule 'writes': headers.rules[0].match.methods names the unknown method 'BREW'; expected HTTP methods in capitals, like GET, POST, PUT, PATCH, DELETE",
        ])
    }

    @Test func matchValuesAreChecked() {
        let yaml = """
            headers:
              rules:
                - name: a
                  match: { host: "example.com:8443", path_prefix: api }
                - name: b
                  match: { path: /a, path_glob: /a/** }
                - name: c
                  match: { path_glob: /static/**.css }
                - name: d
                  match: { path: "/search?q=1" }
                - name: e
                  match: { path_prefix: /static/* }
            """
        #expect(problems(yaml) == [
            "p.yaml:4:22: rule 'a': headers.rules[0].match.host entry 'example.com:8443' must be a host name without port or path, like example.com, or '*.example.com' for its subdomains",
            "p.yaml:4:55: rule 'a': headers.rules[0].match.path_prefix must start with '/'; found 'api'",
            "p.yaml:6:37: rule 'b': headers.rules[1].match has both 'path' and 'path_glob'; expected at most one of path, path_prefix, path_glob",
            "p.yaml:8:27: rule 'c': headers.rules[2].match.path_glob uses '**' inside the segment '**.css'; '**' must be a whole segment, like /static/**/*.css; found '/static/**.css'",
            "p.yaml:10:22: rule 'd': headers.rules[3].match.path must not contain '?' or '#': rules match the path, not the query string; found '/search?q=1'",
            "p.yaml:12:29: rule 'e': headers.rules[4].match.path_prefix contains '*', which path_prefix compares literally; use path_glob for wildcards; found '/static/*'",
        ])
    }

    // MARK: Reachability

    @Test func ruleShadowedByAnEarlierBroaderRuleIsUnreachable() {
        let yaml = """
            headers:
              rules:
                - name: everything-api
                  match: { path_prefix: /api/ }
                - name: api-writes
                  match: { path_prefix: /api/v1/, methods: [POST] }
                - name: login
                  match: { path: /api/login }
            """
        #expect(problems(yaml) == [
            "p.yaml:5:7: rule 'api-writes': unreachable: rule 'everything-api' at p.yaml:3 already matches everything this rule matches; expected it before 'everything-api' or a narrower match on 'everything-api'",
            "p.yaml:7:7: rule 'login': unreachable: rule 'everything-api' at p.yaml:3 already matches everything this rule matches; expected it before 'everything-api' or a narrower match on 'everything-api'",
        ])
    }

    @Test func unreachableAcrossFilesNamesTheEarlierFile() {
        let first = "headers:\n  rules:\n    - name: all\n      match: {}\n"
        let second = "headers:\n  rules:\n    - name: static\n      match: { host: cdn.example.com, path_glob: /static/** }\n"
        #expect(problems([("a.yaml", first), ("b.yaml", second)]) == [
            "b.yaml:3:7: rule 'static': unreachable: rule 'all' at a.yaml:3 already matches everything this rule matches; expected it before 'all' or a narrower match on 'all'",
        ])
    }

    @Test func narrowerEarlierRulesAndShadowRulesLeaveLaterRulesReachable() throws {
        let yaml = """
            headers:
              rules:
                - name: api-writes
                  match: { path_prefix: /api/, methods: [POST, PUT] }
                - name: trial
                  mode: shadow
                  match: { path_prefix: /api/ }
                - name: api
                  match: { path_prefix: /api/ }
                - name: example-api
                  match: { host: "*.example.com", path_prefix: /ap }
                - name: root
                  match: { path_glob: "/*" }
            """
        let set = try #require(load([("p.yaml", yaml)]))
        #expect(set.headers.rules.map(\.name) == ["api-writes", "trial", "api", "example-api", "root"])
    }

    // MARK: inherit and keep

    @Test func keepMustNameAnInheritedHeader() {
        let yaml = """
            headers:
              global:
                set: { X-Frame-Options: DENY }
              rules:
                - name: embed
                  match: { path_prefix: /embed/ }
                  keep: [X-Frame-Option]
                - name: raw
                  match: { path_prefix: /raw/ }
                  inherit: false
                  keep: [X-Frame-Options]
            """
        #expect(problems(yaml) == [
            "p.yaml:7:14: rule 'embed': keep names 'X-Frame-Option', which headers.global does not set, default or remove; expected one of X-Frame-Options",
            "p.yaml:11:14: rule 'raw': keep has nothing to keep because the rule has inherit: false; expected keep only in rules that inherit the global block",
        ])
    }

    // MARK: Every problem at once

    @Test func everyProblemInEveryFileIsReportedInOrder() {
        let first = """
            headers:
              global:
                set: { X-A: "a\\u0000b" }
              rules:
                - name: one
                  match: { methods: [GTE] }
            """
        let second = """
            headres: {}
            headers:
              rules:
                - name: one
                  match: {}
            """
        #expect(problems([("a.yaml", first), ("b.yaml", second)]) == [
            "a.yaml:3:17: headers.global.set: header 'X-A' has a NUL byte at character 2; expected a field value without CR, LF, NUL or other control characters (RFC 9110 §5.5)",
            "a.yaml:6:26: rule 'one': headers.rules[0].match.methods names the unknown method 'GTE'; did you mean 'GET'?",
            "b.yaml:1:1: unknown key 'headres' in the top level; did you mean 'headers'?",
            "b.yaml:4:13: rule 'one': the name is already used by the rule at a.yaml:5; expected rule names unique across all policy files",
        ])
    }
    /// The example of docs/policy-reference.md: a rule with a bad match or an unknown key still
    /// takes part in the checks across rules, so one run reports everything.
    @Test func rulesWithProblemsStillTakePartInCrossChecks() {
        let first = """
            headers:
              global:
                set:
                  Strict-Transport-Security: "max-age=63072000; includeSubDomains"
                  X-Note: "line one\\r\\nSet-Cookie: injected=1"
                remove: [Server]
              rules:
                - name: api
                  match: { path_prefix: /api/ }
                  sett: { Cache-Control: no-store }
                - name: api-login
                  match: { path: /api/login, methods: [POST] }
                - name: embed
                  match: { path_glob: /embed/**, methods: [GTE] }
                  cookies: { same_site: None }
            ratelimits:
              - name: withdrawals
            """
        let second = """
            headers:
              rules:
                - name: api
                  match: { host: "*.example.com" }
                  inherit: maybe
            """
        #expect(problems([("10-headers.yaml", first), ("20-more.yaml", second)]) == [
            "10-headers.yaml:5:15: headers.global.set: header 'X-Note' has a carriage return (CR) at character 9; expected a field value without CR, LF, NUL or other control characters (RFC 9110 §5.5)",
            "10-headers.yaml:10:7: rule 'api': unknown key 'sett' in headers.rules[0]; did you mean 'set'?",
            "10-headers.yaml:11:7: rule 'api-login': unreachable: rule 'api' at 10-headers.yaml:8 already matches everything this rule matches; expected it before 'api' or a narrower match on 'api'",
            "10-headers.yaml:14:48: rule 'embed': headers.rules[2].match.methods names the unknown method 'GTE'; did you mean 'GET'?",
            "10-headers.yaml:15:29: rule 'embed': headers.rules[2].cookies.same_site is None without secure: true; expected secure: true beside it (browsers reject SameSite=None cookies that are not Secure), or same_site Lax or Strict",
            "10-headers.yaml:16:1: unknown key 'ratelimits' in the top level; did you mean 'rate_limits'?",
            "20-more.yaml:3:13: rule 'api': the name is already used by the rule at 10-headers.yaml:8; expected rule names unique across all policy files",
            "20-more.yaml:5:16: rule 'api': headers.rules[0].inherit must be true or false; found 'maybe'",
        ])
    }
}
