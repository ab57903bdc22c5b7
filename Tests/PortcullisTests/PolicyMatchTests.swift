import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct PolicyMatchTests {
    private func glob(_ pattern: String) -> PathGlob {
        #expect(PathGlob.problem(in: pattern) == nil)
        return PathGlob(pattern)
    }

    @Test func hostsAreExactOrSubdomains() throws {
        let exact = try #require(HostPattern("Example.COM"))
        #expect(exact == .exact("example.com"))
        #expect(exact.matches("example.com"))
        #expect(!exact.matches("www.example.com"))
        let wildcard = try #require(HostPattern("*.example.com"))
        #expect(wildcard.matches("www.example.com"))
        #expect(wildcard.matches("a.b.example.com"))
        #expect(!wildcard.matches("example.com"))
        #expect(!wildcard.matches("badexample.com"))
        #expect(HostPattern("[::1]") == .exact("[::1]"))
        for bad in ["example.com:80", "example.com/a", "*", "*.", "a*.example.com", "", "[nothost]", ".example.com"] {
            #expect(HostPattern(bad) == nil, "\(bad) must be refused")
        }
    }

    @Test func exactAndPrefixPathsCompareBytesAsSent() {
        #expect(PathPattern.exact("/login").matches("/login"))
        #expect(!PathPattern.exact("/login").matches("/login/"))
        #expect(!PathPattern.exact("/login").matches("/LOGIN"))
        #expect(PathPattern.prefix("/api/").matches("/api/items"))
        #expect(!PathPattern.prefix("/api/").matches("/api"))
        #expect(!PathPattern.prefix("/api/").matches("/%61pi/items"))
    }

    @Test func globStarStaysWithinASegment() {
        let items = glob("/api/*/items")
        #expect(items.matches("/api/42/items"))
        #expect(items.matches("/api//items"))
        #expect(!items.matches("/api/4/2/items"))
        let css = glob("/static/*.css")
        #expect(css.matches("/static/site.css"))
        #expect(css.matches("/static/.css"))
        #expect(!css.matches("/static/css/site.css"))
        #expect(!css.matches("/static/site.css.map"))
        let middle = glob("/files/a*b*c")
        #expect(middle.matches("/files/abc"))
        #expect(middle.matches("/files/a-b-c"))
        #expect(middle.matches("/files/abbbc"))
        #expect(!middle.matches("/files/acb"))
        #expect(!middle.matches("/files/ab"))
    }

    @Test func globstarSpansSegments() {
        let all = glob("/static/**/*.css")
        #expect(all.matches("/static/a.css"))
        #expect(all.matches("/static/x/y/a.css"))
        #expect(!all.matches("/static/x/y/a.js"))
        #expect(!all.matches("/other/a.css"))
        let under = glob("/api/**")
        #expect(under.matches("/api"))
        #expect(under.matches("/api/"))
        #expect(under.matches("/api/v1/items"))
        #expect(!under.matches("/apix"))
        #expect(!under.matches("/"))
        let anywhere = glob("/**/admin")
        #expect(anywhere.matches("/admin"))
        #expect(anywhere.matches("/a/b/admin"))
        #expect(!anywhere.matches("/a/b/admin/x"))
    }

    @Test func globProblems() {
        #expect(PathGlob.problem(in: "static/*") == "must start with '/'")
        #expect(PathGlob.problem(in: "/a**") == "uses '**' inside the segment 'a**'; '**' must be a whole segment, like /static/**/*.css")
        #expect(PathGlob.problem(in: "/**/x/**") == nil)
    }

    @Test func matchNeedsEveryCondition() {
        let match = PolicyMatch(hosts: [.subdomains(of: ".example.com")], path: .prefix("/api/"), methods: [.POST, .PUT])
        #expect(match.matches(host: "api.example.com", path: "/api/items", method: .POST))
        #expect(!match.matches(host: "api.example.com", path: "/api/items", method: .GET))
        #expect(!match.matches(host: "example.org", path: "/api/items", method: .POST))
        #expect(!match.matches(host: "api.example.com", path: "/web", method: .POST))
        #expect(PolicyMatch().matches(host: "anything", path: "/", method: .DELETE))
        #expect(match.description == "{ host: *.example.com, path_prefix: /api/, methods: [POST, PUT] }")
    }

    @Test func coverageIsConservative() {
        func covered(_ later: PolicyMatch, by earlier: PolicyMatch) -> Bool { later.isCovered(by: earlier) }
        let api = PolicyMatch(path: .prefix("/api/"))
        #expect(covered(PolicyMatch(path: .prefix("/api/v1/")), by: api))
        #expect(covered(PolicyMatch(path: .exact("/api/login"), methods: [.POST]), by: api))
        #expect(covered(PolicyMatch(path: .glob(PathGlob("/api/*/items"))), by: api))
        #expect(!covered(PolicyMatch(path: .glob(PathGlob("/ap*"))), by: api))
        #expect(!covered(api, by: PolicyMatch(path: .prefix("/api/"), methods: [.GET])))
        #expect(covered(PolicyMatch(path: .prefix("/api/"), methods: [.GET]), by: PolicyMatch(methods: [.GET, .HEAD])))
        #expect(!covered(PolicyMatch(), by: PolicyMatch(hosts: [.exact("a.example")])))
        #expect(covered(PolicyMatch(hosts: [.exact("a.example.com")]), by: PolicyMatch(hosts: [.subdomains(of: ".example.com")])))
        #expect(covered(PolicyMatch(hosts: [.subdomains(of: ".x.example.com")]), by: PolicyMatch(hosts: [.subdomains(of: ".example.com")])))
        #expect(!covered(PolicyMatch(hosts: [.subdomains(of: ".example.com")]), by: PolicyMatch(hosts: [.exact("www.example.com")])))
        // `/api/**` matches `/api` itself, which `path_prefix: /api/` does not.
        #expect(!covered(PolicyMatch(path: .glob(PathGlob("/api/**"))), by: api))
        #expect(covered(PolicyMatch(path: .prefix("/api/v2")), by: PolicyMatch(path: .glob(PathGlob("/api/**")))))
        #expect(covered(PolicyMatch(path: .glob(PathGlob("/api/x/**"))), by: PolicyMatch(path: .glob(PathGlob("/api/**")))))
        #expect(covered(PolicyMatch(path: .exact("/api")), by: PolicyMatch(path: .glob(PathGlob("/api/**")))))
    }

    @Test func methodsAreKnownAndCaseSensitive() {
        #expect(PolicyMethods.method(named: "PATCH") == .PATCH)
        #expect(PolicyMethods.method(named: "PROPFIND") == .PROPFIND)
        #expect(PolicyMethods.method(named: "patch") == nil)
        #expect(PolicyMethods.method(named: "BREW") == nil)
    }
}
