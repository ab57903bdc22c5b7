import NIOHTTP1
import Testing
@testable import Portcullis

/// `HeaderActions.apply` against a plain reading of its contract, on many generated responses:
/// remove (and the names `set` replaces), harden each remaining `Set-Cookie` in place, append
/// `set`, then each default the application did not send; `Strict-Transport-Security` only over
/// TLS. The fast path (one copying pass) and the general path (policies with more than 64 names)
/// must both give exactly this, field order included.
@Suite struct HeaderActionsTests {
    private static func lower(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func reference(_ actions: HeaderActions, _ fields: [(String, String)], isTLS: Bool) -> [String] {
        let dropped = Set(actions.remove + actions.set.filter { isTLS || !$0.isTLSOnly }.map(\.lowercasedName))
        let sent = Set(fields.map { lower($0.0) })
        var out = fields.filter { !dropped.contains(lower($0.0)) }
        if let cookies = actions.cookies {
            out = out.map { lower($0.0) == "set-cookie" ? ($0.0, cookies.harden($0.1) ?? $0.1) : $0 }
        }
        out += actions.set.filter { isTLS || !$0.isTLSOnly }.map { ($0.name, $0.value) }
        out += actions.defaults.filter { (isTLS || !$0.isTLSOnly) && !sent.contains($0.lowercasedName) }.map { ($0.name, $0.value) }
        return out.map { "\($0.0): \($0.1)" }
    }

    private static func pairs(_ headers: HTTPHeaders) -> [String] {
        headers.map { "\($0.name): \($0.value)" }
    }

    private static let names = [
        "Server", "SERVER", "server", "X-Powered-By", "Set-Cookie", "set-cookie", "SET-COOKIE", "Content-Type",
        "Strict-Transport-Security", "strict-transport-security", "X-Frame-Options", "Content-Security-Policy",
        "content-security-policy", "ETag", "Cache-Control", "Vary", "Date", "X-Content-Type-Options",
    ]
    private static let values = [
        "a=1", "session=3f9a; Path=/; Max-Age=3600", "x=1; Secure; HttpOnly; SameSite=Lax", "b=2;  ", "é=1; Path=/",
        "v", "", "c=3; secure", "max-age=5", "XSRF-TOKEN=t",
    ]

    private static func policies() -> [HeaderActions] {
        let hsts = HeaderField(name: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains")
        let nosniff = HeaderField(name: "X-Content-Type-Options", value: "nosniff")
        let frame = HeaderField(name: "X-Frame-Options", value: "DENY")
        let csp = HeaderField(name: "Content-Security-Policy", value: "default-src 'self'")
        let cache = HeaderField(name: "Cache-Control", value: "no-store")
        let cookies = CookieHardening(secure: true, httpOnly: true, sameSite: .lax, except: ["XSRF-TOKEN"])
        let padding = (0..<60).map { "X-Padding-\($0)" }
        return [
            HeaderActions(remove: ["Server", "X-Powered-By"], set: [hsts, nosniff, frame], defaults: [csp], cookies: cookies),
            HeaderActions(remove: ["Server"], set: [nosniff], defaults: [hsts, csp, cache]),
            HeaderActions(set: [cache], cookies: CookieHardening(sameSite: .strict)),
            HeaderActions(remove: ["Set-Cookie"], defaults: [frame], cookies: cookies),
            HeaderActions(defaults: [csp, cache]),
            HeaderActions(cookies: CookieHardening(httpOnly: true)),
            // More than 64 names: the general path.
            HeaderActions(remove: ["Server", "X-Powered-By"] + padding, set: [hsts, nosniff, frame], defaults: [csp, cache], cookies: cookies),
        ]
    }

    @Test func matchesTheContractOnGeneratedResponses() {
        var random = SplitMix64(seed: 0x5EC_4EAD)
        let policies = Self.policies()
        for _ in 0..<3000 {
            let count = Int.random(in: 0...12, using: &random)
            let fields = (0..<count).map { _ in (Self.names.randomElement(using: &random)!, Self.values.randomElement(using: &random)!) }
            for actions in policies {
                for isTLS in [true, false] {
                    var headers = HTTPHeaders(fields)
                    actions.apply(to: &headers, isTLS: isTLS)
                    let expected = Self.reference(actions, fields, isTLS: isTLS)
                    #expect(Self.pairs(headers) == expected, "fields \(fields), TLS \(isTLS)")
                    if Self.pairs(headers) != expected { return }
                }
            }
        }
    }

    /// `HTTPHeaders.remove(name:)` compares names by `byte & 0xDF`, which also equates `~` and
    /// `^`; applying has always removed such look-alikes once the named header is present.
    @Test func removalKeepsHTTPHeadersNameComparison() {
        let actions = HeaderActions(remove: ["X-A~"])
        var headers = HTTPHeaders([("X-A^", "1"), ("x-a~", "2"), ("Keep", "3")])
        actions.apply(to: &headers, isTLS: true)
        #expect(Self.pairs(headers) == ["Keep: 3"])
        var absent = HTTPHeaders([("X-A^", "1"), ("Keep", "3")])
        actions.apply(to: &absent, isTLS: true)
        #expect(Self.pairs(absent) == ["X-A^: 1", "Keep: 3"])
    }

    @Test func cookiesAreHardenedInPlaceAmongOtherFields() {
        let actions = HeaderActions(
            remove: ["Server"],
            set: [HeaderField(name: "X-Frame-Options", value: "DENY")],
            cookies: CookieHardening(secure: true, httpOnly: true, sameSite: .lax)
        )
        var headers = HTTPHeaders([("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Server", "x"), ("set-cookie", "b=2; Secure; HttpOnly; SameSite=Strict"), ("ETag", "\"1\"")])
        actions.apply(to: &headers, isTLS: true)
        #expect(Self.pairs(headers) == [
            "Content-Type: text/html",
            "Set-Cookie: a=1; Secure; HttpOnly; SameSite=Lax",
            "set-cookie: b=2; Secure; HttpOnly; SameSite=Strict",
            "ETag: \"1\"",
            "X-Frame-Options: DENY",
        ])
    }

    @Test func hardeningTrimsAndKeepsNonASCIIValues() {
        let hardening = CookieHardening(secure: true, httpOnly: false, sameSite: .lax)
        #expect(hardening.harden("a=b;; \t") == "a=b; Secure; SameSite=Lax")
        #expect(hardening.harden("") == "; Secure; SameSite=Lax")
        #expect(hardening.harden("é=ü; Path=/ ;") == "é=ü; Path=/; Secure; SameSite=Lax")
        #expect(hardening.harden(" a = b ; SECURE=1 ; SameSite") == nil)
        #expect(CookieHardening(secure: true, except: ["é"]).harden("é=1") == nil)
        #expect(CookieHardening(secure: true, except: ["a"]).harden(" a =1") == nil)
        // A prepended mark binds to the `;` after it: by Character the value ends in no `;`.
        #expect(hardening.harden("a=\u{600};") == "a=\u{600};; Secure; SameSite=Lax")
    }

    @Test func policyTextIsSentAsWritten() {
        let written = String(decoding: Array("Strict-Transport-Security".utf8), as: UTF8.self)
        let field = HeaderField(name: written, value: "max-age=63072000; includeSubDomains")
        #expect(field.name == "Strict-Transport-Security")
        #expect(field.value == "max-age=63072000; includeSubDomains")
        #expect(HeaderLiterals.intern("strict-transport-security") == "strict-transport-security")
        #expect(HeaderLiterals.intern("X-Custom-Long-Header-Name") == "X-Custom-Long-Header-Name")
        #expect(HeaderLiterals.all.allSatisfy { $0.utf8.count > 15 })
    }
}
