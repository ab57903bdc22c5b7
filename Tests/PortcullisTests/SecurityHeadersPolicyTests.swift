import NIOHTTP1
import Testing
@testable import Portcullis

/// Named `…PolicyTests` so `swift test --filter Policy` runs it with the loader tests.
@Suite struct SecurityHeadersPolicyTests {
    private func policy(_ yaml: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> SecurityHeaderPolicy {
        do {
            return try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)]).headers
        } catch {
            Issue.record("expected the policy to load, got:\n\(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// The headers as (name, value) pairs in wire order.
    private func pairs(_ headers: HTTPHeaders) -> [String] {
        headers.map { "\($0.name): \($0.value)" }
    }

    private func apply(_ policy: SecurityHeaderPolicy, _ headers: [(String, String)], target: String = "/", method: HTTPMethod = .GET, host: String = "localhost", isTLS: Bool = true) -> (headers: [String], rule: String) {
        var fields = HTTPHeaders(headers)
        let selection = policy.apply(to: &fields, host: host, target: target, method: method, isTLS: isTLS)
        return (pairs(fields), selection.ruleName)
    }

    static let globalOnly = """
        headers:
          global:
            set: { X-Content-Type-Options: nosniff, X-Frame-Options: DENY }
            default: { Content-Security-Policy: "default-src 'self'" }
            remove: [Server, X-Powered-By]
        """

    @Test func removeThenSetThenDefault() throws {
        let policy = try policy(Self.globalOnly)
        let result = apply(policy, [("Content-Type", "text/html"), ("server", "demo/1.0"), ("X-Frame-Options", "SAMEORIGIN"), ("X-POWERED-BY", "PHP"), ("x-frame-options", "ALLOW-FROM x")])
        #expect(result.headers == [
            "Content-Type: text/html",
            "X-Content-Type-Options: nosniff",
            "X-Frame-Options: DENY",
            "Content-Security-Policy: default-src 'self'",
        ])
        #expect(result.rule == "global")
    }

    @Test func defaultLeavesTheApplicationsValue() throws {
        let policy = try policy(Self.globalOnly)
        let result = apply(policy, [("content-security-policy", "default-src 'none'")])
        #expect(result.headers == ["content-security-policy: default-src 'none'", "X-Content-Type-Options: nosniff", "X-Frame-Options: DENY"])
    }

    @Test func ruleInheritsGlobalAndOverridesByName() throws {
        let policy = try policy(Self.globalOnly + """

              rules:
                - name: api
                  match: { path_prefix: /api/ }
                  set: { Cache-Control: no-store, X-Frame-Options: SAMEORIGIN }
                  default: { Content-Security-Policy: "default-src 'none'" }
                  remove: [X-Content-Type-Options]
            """)
        let result = apply(policy, [("Server", "demo"), ("X-Content-Type-Options", "app")], target: "/api/items?page=2")
        #expect(result.rule == "api")
        #expect(result.headers == [
            "X-Frame-Options: SAMEORIGIN",
            "Cache-Control: no-store",
            "Content-Security-Policy: default-src 'none'",
        ])
        // Elsewhere only the global block applies.
        #expect(apply(policy, [], target: "/apix").rule == "global")
    }

    @Test func inheritFalseStartsEmpty() throws {
        let policy = try policy(Self.globalOnly + """

              rules:
                - name: health
                  match: { path: /healthz }
                  inherit: false
                  set: { Cache-Control: no-store }
            """)
        let result = apply(policy, [("Server", "demo")], target: "/healthz")
        #expect(result.headers == ["Server: demo", "Cache-Control: no-store"])
        #expect(result.rule == "health")
    }

    @Test func keepLeavesTheApplicationsHeader() throws {
        let policy = try policy(Self.globalOnly + """

              rules:
                - name: embed
                  match: { path_glob: /embed/** }
                  keep: [X-Frame-Options, server]
            """)
        let result = apply(policy, [("Server", "demo"), ("X-Frame-Options", "SAMEORIGIN")], target: "/embed/video/1")
        #expect(result.headers == ["Server: demo", "X-Frame-Options: SAMEORIGIN", "X-Content-Type-Options: nosniff", "Content-Security-Policy: default-src 'self'"])
    }

    @Test func hstsOnlyOnTLS() throws {
        let policy = try policy("""
            headers:
              global:
                set: { Strict-Transport-Security: "max-age=63072000; includeSubDomains", X-Content-Type-Options: nosniff }
            """)
        #expect(apply(policy, [], isTLS: true).headers == ["Strict-Transport-Security: max-age=63072000; includeSubDomains", "X-Content-Type-Options: nosniff"])
        #expect(apply(policy, [], isTLS: false).headers == ["X-Content-Type-Options: nosniff"])
        // Over plain HTTP the application's own value is not touched either.
        #expect(apply(policy, [("strict-transport-security", "max-age=1")], isTLS: false).headers == ["strict-transport-security: max-age=1", "X-Content-Type-Options: nosniff"])
        #expect(apply(policy, [("strict-transport-security", "max-age=1")], isTLS: true).headers == ["Strict-Transport-Security: max-age=63072000; includeSubDomains", "X-Content-Type-Options: nosniff"])
    }

    @Test func cookieHardeningAddsOnlyWhatIsMissing() throws {
        let policy = try policy("""
            headers:
              global:
                cookies: { secure: true, http_only: true, same_site: Lax, except: [XSRF-TOKEN] }
            """)
        let result = apply(policy, [
            ("Set-Cookie", "session=abc; Path=/"),
            ("set-cookie", "a=1; secure; HTTPONLY; samesite=strict"),
            ("Set-Cookie", "b=2; Max-Age=60; SameSite=None; Secure;"),
            ("Set-Cookie", "XSRF-TOKEN=t; Path=/"),
            ("Set-Cookie", "secure=1"),
            ("X-Other", "session=abc"),
        ])
        #expect(result.headers == [
            "Set-Cookie: session=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
            "set-cookie: a=1; secure; HTTPONLY; samesite=strict",
            "Set-Cookie: b=2; Max-Age=60; SameSite=None; Secure; HttpOnly",
            "Set-Cookie: XSRF-TOKEN=t; Path=/",
            "Set-Cookie: secure=1; Secure; HttpOnly; SameSite=Lax",
            "X-Other: session=abc",
        ])
        // Hardening twice changes nothing more.
        var once = HTTPHeaders([("Set-Cookie", "s=1")])
        policy.global.apply(to: &once, isTLS: true)
        var twice = once
        policy.global.apply(to: &twice, isTLS: true)
        #expect(pairs(twice) == ["Set-Cookie: s=1; Secure; HttpOnly; SameSite=Lax"])
    }

    @Test func ruleCookiesOverrideGlobalPerSetting() throws {
        let policy = try policy("""
            headers:
              global:
                cookies: { secure: true, http_only: true, same_site: Lax }
              rules:
                - name: api
                  match: { path_prefix: /api/ }
                  cookies: { same_site: Strict }
                - name: legacy
                  match: { path_prefix: /legacy/ }
                  cookies: false
            """)
        #expect(apply(policy, [("Set-Cookie", "t=1")], target: "/api/login").headers == ["Set-Cookie: t=1; Secure; HttpOnly; SameSite=Strict"])
        #expect(apply(policy, [("Set-Cookie", "t=1")], target: "/legacy/x").headers == ["Set-Cookie: t=1"])
    }

    @Test func cspReportOnlyIsStagedBesideTheEnforcedPolicy() throws {
        let policy = try policy("""
            headers:
              global:
                default: { Content-Security-Policy: "default-src 'self'" }
              rules:
                - name: html
                  match: { path: / }
                  csp_report_only: "default-src 'none'; report-uri /csp"
            """)
        #expect(apply(policy, [("Content-Security-Policy-Report-Only", "old")]).headers == [
            "Content-Security-Policy-Report-Only: default-src 'none'; report-uri /csp",
            "Content-Security-Policy: default-src 'self'",
        ])
    }

    @Test func firstMatchingRuleWinsAndShadowRulesAreReportedNotApplied() throws {
        let policy = try policy("""
            headers:
              rules:
                - name: trial
                  mode: shadow
                  match: { path_prefix: /api/ }
                  set: { X-Trial: yes }
                - name: api-writes
                  match: { path_prefix: /api/, methods: [POST] }
                  set: { X-Rule: writes }
                - name: api
                  match: { host: "*.example.com", path_prefix: /api/ }
                  set: { X-Rule: api }
            """)
        var headers = HTTPHeaders()
        let writes = policy.apply(to: &headers, host: "www.example.com", target: "/api/x", method: .POST, isTLS: true)
        #expect(writes.ruleName == "api-writes")
        #expect(writes.shadowRule?.name == "trial")
        #expect(pairs(headers) == ["X-Rule: writes"])

        let read = policy.select(host: "www.example.com", target: "/api/x", method: .GET)
        #expect(read.ruleName == "api")
        let otherHost = policy.select(host: "example.org", target: "/api/x", method: .GET)
        #expect(otherHost.ruleName == "global")
        #expect(otherHost.shadowRule?.name == "trial")
        #expect(otherHost.actions.isEmpty)
        #expect(policy.select(host: "example.org", target: "/web", method: .GET).shadowRule == nil)
    }

    @Test func emptyPolicyLeavesHeadersAlone() {
        var headers = HTTPHeaders([("Server", "demo")])
        SecurityHeaderPolicy.empty.apply(to: &headers, host: "h", target: "/", method: .GET, isTLS: true)
        #expect(pairs(headers) == ["Server: demo"])
    }

    @Test func headerActionsCanBeBuiltDirectly() {
        let actions = HeaderActions(
            remove: ["Server"],
            set: [HeaderField(name: "X-Content-Type-Options", value: "nosniff")],
            defaults: [HeaderField(name: "Strict-Transport-Security", value: "max-age=60")],
            cookies: CookieHardening(httpOnly: true)
        )
        #expect(actions.remove == ["server"])
        #expect(actions.defaults.first?.isTLSOnly == true)
        var headers = HTTPHeaders([("SERVER", "x"), ("Set-Cookie", "a=b")])
        actions.apply(to: &headers, isTLS: false)
        #expect(pairs(headers) == ["Set-Cookie: a=b; HttpOnly", "X-Content-Type-Options: nosniff"])
    }

    @Test func cookieHardeningEdgeCases() {
        let hardening = CookieHardening(secure: true, httpOnly: true, sameSite: .strict)
        #expect(hardening.harden("a=b; Secure; HttpOnly; SameSite=Lax") == nil)
        #expect(hardening.harden("a=b;secure;httponly") == "a=b;secure;httponly; SameSite=Strict")
        #expect(hardening.harden("a=b ;  ") == "a=b; Secure; HttpOnly; SameSite=Strict")
        #expect(hardening.harden("a=\"x;y\"") != nil)
        #expect(CookieHardening().harden("a=b") == nil)
        #expect(CookieHardening(sameSite: .noRestriction).harden("a=b; Path=/") == "a=b; Path=/; SameSite=None")
    }
    @Test func manyNamesBeyondTheTrackedSixtyFour() {
        let removed = (0..<70).map { "X-Remove-\($0)" }
        let defaults = (0..<3).map { HeaderField(name: "X-Default-\($0)", value: "d") }
        let actions = HeaderActions(remove: removed, defaults: defaults)
        var headers = HTTPHeaders([("x-remove-3", "a"), ("X-REMOVE-69", "b"), ("X-Keep", "c"), ("x-default-1", "app")])
        actions.apply(to: &headers, isTLS: true)
        #expect(pairs(headers) == ["X-Keep: c", "x-default-1: app", "X-Default-0: d", "X-Default-2: d"])
    }
}
