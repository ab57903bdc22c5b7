import Foundation
import Portcullis
import PortcullisDemo
import Testing

/// Issue 5: the shipped header policy scores A+ (≥ 120) under Mozilla HTTP Observatory's rules for
/// the demo's HTML page behind the real gateway. The responses are fetched from the gateway with curl
/// the way the Observatory's retriever fetches them; `ObservatoryScore` then applies the scanner's
/// rules (see that file for where each rule comes from).
@Suite(.timeLimit(.minutes(2)))
struct ObservatoryTests {
    /// The scanner's request headers (`STANDARD_HEADERS`, src/retriever/retriever.js).
    static let accept = "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    @Test func demoFrontPageScoresAPlusBehindTheShippedPolicy() async throws {
        let demo = try await Upstreams.demo()
        let certificates = try TestCertificates()
        let certs = certificates.directory
        let tls = certificates.tlsBlock
        // The plain listener keeps its default: with TLS configured, a 308 to https.
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort]), tls: tls, policies: try ShippedPolicies.files())
        defer { gateway.stop() }
        let ca = "\(certs.path)/ca.pem"

        let scan = try Self.retrieve(https: URL(string: "https://localhost:\(gateway.tlsPort)/")!, http: URL(string: "http://localhost:\(gateway.httpPort)/")!, ca: ca)

        // What the scan is made of: the page itself, and plain HTTP sent to the same host on https.
        #expect(scan.https.count == 1 && scan.https[0].status == 200 && scan.https[0].isHTML, "\(scan.https.map { ($0.url, $0.status) })")
        #expect(scan.http.first?.status == 308)
        #expect(scan.http.first?.first("location") == "https://localhost:\(gateway.tlsPort)/")
        #expect(scan.http.last?.status == 200)

        for rules in ObservatoryScore.Rules.allCases {
            let score = try ObservatoryScore(scan, rules: rules)
            print(score)
            #expect(score.score >= 120, "\(score)")
            #expect(score.grade == "A+", "\(score)")
            // Not one penalty: every bonus counts, and no test fails.
            #expect(score.uncurvedScore == 100, "\(score)")
            #expect(score.results.allSatisfy { $0.pass }, "\(score)")
        }
        try await demo.stop()
    }

    /// What the retriever collects: the https page, the plain-HTTP redirect chain, the CORS preflight.
    static func retrieve(https: URL, http: URL, ca: String) throws -> ObservatoryScore.Scan {
        let page = try chain(from: https, ca: ca)
        let final = page.last!.url
        let cors = try? fetch(final, method: "OPTIONS", headers: ["Access-Control-Request-Method: GET", "Origin: \(ObservatoryScore.Scan.corsOrigin)"], ca: ca)
        return ObservatoryScore.Scan(https: page, http: try chain(from: http, ca: ca), cors: cors)
    }

    /// GET `url`, following redirects one by one (as the scanner's session does, at most 10), so each
    /// response of the route is kept.
    static func chain(from url: URL, ca: String) throws -> [ObservatoryScore.Response] {
        var responses: [ObservatoryScore.Response] = []
        var next = url
        for _ in 0...10 {
            let response = try fetch(next, headers: [accept], ca: ca)
            responses.append(response)
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.first("location"),
                  let target = URL(string: location, relativeTo: next)?.absoluteURL else { break }
            next = target
        }
        return responses
    }

    /// One request over HTTP/1.1 (the scanner uses Node's http module), certificate checked against `ca`.
    static func fetch(_ url: URL, method: String = "GET", headers: [String], ca: String) throws -> ObservatoryScore.Response {
        let result = try Command.curl(["--http1.1", "-i", "--cacert", ca, "-X", method] + headers.flatMap { ["-H", $0] } + [url.absoluteString])
        guard result.status == 0 else { throw TestFailure("curl \(method) \(url): \(result.standardError)") }
        let parts = result.standardOutput.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("no status line from \(url): \(lines[0])") }
        let fields = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return ObservatoryScore.Response(url: url, status: status, fields: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

/// The scorer checked against the scanner's own test cases (test/csp.test.js, … in
/// mdn/mdn-http-observatory), so a pass above means what the Observatory would say.
@Suite struct ObservatoryScoreTests {
    typealias Expectation = ObservatoryScore.Expectation

    static func requests(_ fields: [(name: String, value: String)], body: String = "") -> ObservatoryScore.Requests {
        let response = ObservatoryScore.Response(url: URL(string: "https://mozilla.org/")!, status: 200, fields: [("Content-Type", "text/html")] + fields, body: body)
        return ObservatoryScore.Requests(scan: ObservatoryScore.Scan(https: [response], http: [], cors: nil))
    }

    static func csp(_ value: String) -> Expectation {
        requests([("Content-Security-Policy", value)]).contentSecurityPolicy().result.result
    }

    @Test(arguments: [
        // test/csp.test.js "header invalid"
        ("  ", Expectation.cspHeaderInvalid), ("default-src 'none'; default-src 'none'", .cspHeaderInvalid),
        ("default-src 'none'; script-src 'strict-dynamic'", .cspHeaderInvalid), ("defa", .cspHeaderInvalid),
        // "unsafe inline"
        ("script-src 'unsafe-inline'", .cspImplementedWithUnsafeInline), ("default-src 'UNSAFE-INLINE'", .cspImplementedWithUnsafeInline),
        ("upgrade-insecure-requests", .cspImplementedWithUnsafeInline), ("default-src 'none'; script-src 'none'; object-src *", .cspImplementedWithUnsafeInline),
        ("default-src 'none'; script-src https://*", .cspImplementedWithUnsafeInline),
        // "insecure scheme", "insecure scheme in passive content only", "unsafe eval"
        ("default-src 'none'; script-src ftp://mozilla.org", .cspImplementedWithInsecureScheme),
        ("default-src 'self'; img-src http:", .cspImplementedWithInsecureSchemeInPassiveContentOnly),
        ("default-src 'none'; script-src 'unsafe-eval'", .cspImplementedWithUnsafeEval),
        // "unsafe inline in style src only"
        ("default-src 'none';;; ;;;style-src 'self' 'unsafe-inline'", .cspImplementedWithUnsafeInlineInStyleSrcOnly),
        ("default-src 'unsafe-inline'; script-src https://mozilla.org", .cspImplementedWithUnsafeInlineInStyleSrcOnly),
        // "no unsafe": a hash or nonce cancels 'unsafe-inline'
        ("default-src https://mozilla.org", .cspImplementedWithNoUnsafe),
        ("object-src 'none'; script-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'; style-src 'none'", .cspImplementedWithNoUnsafe),
        // "no unsafe default src none", "strict dynamic"
        ("default-src", .cspImplementedWithNoUnsafeDefaultSrcNone), ("default-src 'none'; object-src https://mozilla.org", .cspImplementedWithNoUnsafeDefaultSrcNone),
        ("default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' 'unsafe-inline'", .cspImplementedWithNoUnsafeDefaultSrcNone),
        // the shipped policy's default CSP
        ("default-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; upgrade-insecure-requests", .cspImplementedWithNoUnsafe),
    ])
    func contentSecurityPolicyMatchesTheScannersCases(value: String, expected: Expectation) {
        #expect(Self.csp(value) == expected, "\(value)")
    }

    @Test func reportOnlyAloneIsNotACSP() {
        let requests = Self.requests([("Content-Security-Policy-Report-Only", "default-src 'none'")])
        #expect(requests.contentSecurityPolicy().result.result == .cspNotImplementedButReportingEnabled)
    }

    /// test/csp.test.js "ignore frame-anchestors in http-equiv", with its test file.
    @Test func frameAncestorsInAMetaTagDoesNotCount() {
        let page = """
            <!doctype html>
            <html lang="en">
              <head>
                <meta charset="UTF-8" />
                <meta
                  http-equiv="Content-Security-Policy"
                  content="frame-ancestors 'none'"
                />
                <title>Title</title>
              </head>
              <body></body>
            </html>
            """
        #expect(Self.requests([], body: page).contentSecurityPolicy().result.result == .cspNotImplemented)
        #expect(Self.requests([("Content-Security-Policy", "frame-anchestors 'none'")], body: page).contentSecurityPolicy().result.result == .cspImplementedWithUnsafeInline)
    }

    @Test func headerTests() {
        let twice = Self.requests([("X-Frame-Options", "DENY"), ("X-Frame-Options", "DENY")])
        #expect(twice.xFrameOptions().result == .xFrameOptionsHeaderInvalid)
        #expect(Self.requests([("Strict-Transport-Security", "max-age=15552000")]).strictTransportSecurity().result == .hstsImplementedMaxAgeAtLeastSixMonths)
        #expect(Self.requests([("Strict-Transport-Security", "max-age=86400; includeSubDomains")]).strictTransportSecurity().result == .hstsImplementedMaxAgeLessThanSixMonths)
        #expect(Self.requests([("Referrer-Policy", "no-referrer, unsafe-url")]).referrerPolicy().result == .referrerPolicyUnsafe)
        #expect(Self.requests([("Referrer-Policy", "unsafe-url, no-referrer, whatever")]).referrerPolicy().result == .referrerPolicyPrivate)
        #expect(Self.requests([("Cross-Origin-Opener-Policy", "same-origin; report-to=\"coop\"")]).crossOriginOpenerPolicy().result == .coopImplementedWithSameOrigin)
        #expect(Self.requests([("Cross-Origin-Opener-Policy", "\"same-origin\"")]).crossOriginOpenerPolicy().result == .coopHeaderInvalid)
        #expect(Self.requests([("Cross-Origin-Resource-Policy", "same-site")]).crossOriginResourcePolicy().result == .corpImplementedWithSameSite)
    }

    @Test func cookies() {
        #expect(Self.requests([("Set-Cookie", "SESSIONID=1; Secure; HttpOnly; SameSite=Lax")]).cookies().result == .cookiesSecureWithHttponlySessionsAndSamesite)
        #expect(Self.requests([("Set-Cookie", "session=1; Path=/")]).cookies().result == .cookiesSessionWithoutSecureFlag)
        #expect(Self.requests([("Set-Cookie", "session=1; Path=/"), ("Strict-Transport-Security", "max-age=63072000")]).cookies().result == .cookiesSessionWithoutHttponlyFlag)
        #expect(Self.requests([("Set-Cookie", "a=1; Secure; SameSite=Sometimes")]).cookies().result == .cookiesSamesiteFlagInvalid)
    }

    @Test func subresourceIntegrity() {
        let foreign = #"<script src="https://cdn.example.net/x.js"></script><script src="/local.js"></script>"#
        #expect(Self.requests([], body: foreign).subresourceIntegrity().result == .sriNotImplementedButExternalScriptsLoadedSecurely)
        let pinned = #"<script src="https://cdn.example.net/x.js" integrity="sha384-abc" crossorigin="anonymous"></script>"#
        #expect(Self.requests([], body: pinned).subresourceIntegrity().result == .sriImplementedAndExternalScriptsLoadedSecurely)
        // A <script> inside a comment is no script.
        #expect(Self.requests([], body: "<!-- <script src=\"http://x.org/a.js\"></script> --><p>hi</p>").subresourceIntegrity().result == .sriNotImplementedButNoScriptsLoaded)
    }

    /// Bonuses count only when the score without them is at least 90 (src/scanner/index.js).
    @Test func bonusesNeedNinetyFirst() throws {
        let fields: [(name: String, value: String)] = [
            ("Content-Type", "text/html"), ("Strict-Transport-Security", "max-age=63072000"), ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Resource-Policy", "same-origin"),
        ]
        let page = ObservatoryScore.Response(url: URL(string: "https://example.com/")!, status: 200, fields: fields)
        let redirect = ObservatoryScore.Response(url: URL(string: "http://example.com/")!, status: 301, fields: [("Location", "https://example.com/")])
        let score = try ObservatoryScore(.init(https: [page], http: [redirect, page], cors: nil), rules: .released)
        // No CSP: -25 → 75, and the +5 (XFO) +5 (referrer) +10 (CORP) are withheld.
        #expect(score.result("content-security-policy")?.result == .cspNotImplemented)
        #expect(score.uncurvedScore == 75)
        #expect(score.score == 75)
        #expect(score.grade == "B")
    }
}
