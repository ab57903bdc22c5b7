import Foundation

/// Mozilla HTTP Observatory's score and grade for one site, computed the way the real scanner
/// computes them from the same responses.
///
/// A port, not a mock: every rule below is transcribed from the scanner's source,
/// github.com/mdn/mdn-http-observatory, read at two points:
/// - tag v1.6.3 (22e088df, 2026-07-16), ALGORITHM_VERSION 5: the release that
///   developer.mozilla.org/en-US/observatory runs — ten tests (`Rules.released`);
/// - main at 94042bbf (2026-08-20), ALGORITHM_VERSION 6: the same ten plus Cross-Origin-Opener-Policy
///   and Cross-Origin-Embedder-Policy scoring (PR #498, not yet released) (`Rules.next`).
///
/// File by file (paths in that repository):
/// - scoring, `src/scanner/index.js` `analyzeScan`: start at 100; the "uncurved" score adds only the
///   negative modifiers; the positive ones (bonuses) count only when the uncurved score is ≥ 90
///   (`MINIMUM_SCORE_FOR_EXTRA_CREDIT`, `src/grader/charts.js`). MDN's "HTTP Observatory scoring
///   methodology" page (developer.mozilla.org/en-US/observatory/docs/tests_and_scoring) says the same:
///   penalties first, bonuses only from 90 (A) up.
/// - grade, `src/grader/grader.js` `getGradeForScore` with `GRADE_CHART` (`src/grader/charts.js`):
///   the score rounded down to a multiple of 5, capped at 100: 100 → A+, 95/90 → A, 85 → A-, …
/// - each test's modifier, `SCORE_TABLE` in `src/grader/charts.js` (`Expectation.modifier` below).
/// - the tests, `src/analyzer/tests/*.js` (one function per test below, named after its file), the
///   CSP parser `src/analyzer/cspParser.js`, `<meta>` handling `src/retriever/utils.js`.
/// - what is fetched, `src/retriever/retriever.js` and `session.js` (`Scan` below).
///
/// Where the real scanner needs the outside world, this port takes the answer from the test:
/// - certificate validity ("verified"): the real scanner trusts the public CAs; here curl trusted the
///   test's own CA, and a response only exists if that check passed, so responses count as verified;
/// - the HSTS preload list (`conf/hsts-preload.json`, used by the HSTS and redirection tests): the
///   scanned host is `localhost`, which is not on it, so nothing counts as preloaded;
/// - the registrable domain of script URLs (SRI, `tldts`): approximated by the last two labels;
/// - `crossdomain.xml` and `clientaccesspolicy.xml`: the current scanner no longer reads them (its
///   CORS test looks only at a preflight's `Access-Control-Allow-Origin`), so neither does this.
struct ObservatoryScore: CustomStringConvertible {
    /// Which version of the Observatory's rules to apply.
    enum Rules: String, CaseIterable, Sendable {
        /// v1.6.3, the release in service: ten tests.
        case released = "v1.6.3 (released)"
        /// main after PR #498: twelve tests, COOP and COEP included.
        case next = "main 94042bbf (unreleased)"

        /// The tests in the order of `ALL_TESTS` (`src/constants.js`).
        var tests: [String] {
            switch self {
            case .released:
                ["content-security-policy", "cookies", "cross-origin-resource-sharing", "redirection", "referrer-policy", "strict-transport-security", "subresource-integrity", "x-content-type-options", "x-frame-options", "cross-origin-resource-policy"]
            case .next:
                ["content-security-policy", "cookies", "cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-sharing", "redirection", "referrer-policy", "strict-transport-security", "subresource-integrity", "x-content-type-options", "x-frame-options", "cross-origin-resource-policy"]
            }
        }
    }

    /// One HTTP response, as the scanner (axios on Node's http module, HTTP/1.1) sees it.
    struct Response: Sendable {
        var url: URL
        var status: Int
        /// The header fields as received, in order.
        var fields: [(name: String, value: String)]
        var body: String = ""

        /// Node joins repeated fields with ", " (so two X-Frame-Options: DENY read "DENY, DENY", which
        /// the scanner rejects), keeps Set-Cookie as a list, and keeps only the first of a few
        /// singletons. `getHttpHeaders` (`src/analyzer/utils.js`) then sees this one value.
        func values(_ name: String) -> [String] {
            let name = name.lowercased()
            let all = fields.filter { $0.name.lowercased() == name }.map { $0.value.trimmingCharacters(in: .whitespaces) }
            if all.isEmpty || name == "set-cookie" { return all }
            if ["content-type", "location", "server", "etag", "expires", "last-modified", "age", "retry-after"].contains(name) { return [all[0]] }
            return [all.joined(separator: ", ")]
        }

        func first(_ name: String) -> String? { values(name).first }

        var isHTML: Bool {
            let type = (first("content-type") ?? "").split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            return ["text/html", "application/xhtml+xml"].contains(type.trimmingCharacters(in: .whitespaces))
        }
    }

    /// What the retriever (`src/retriever/retriever.js`) collects before any test runs.
    struct Scan: Sendable {
        /// `GET https://host/`, redirects followed by hand: every response of the chain, the final one
        /// last (`responses.https`, `responses.auto`, the session's `redirectHistory` and cookie jar).
        var https: [Response]
        /// `GET http://host/`, redirects followed the same way (`responses.http`, `httpRedirects`);
        /// empty when nothing answers on plain HTTP.
        var http: [Response]
        /// `OPTIONS` on the final https URL with `Origin: corsOrigin` and
        /// `Access-Control-Request-Method: GET` (`responses.cors`); nil when that request failed.
        var cors: Response?

        /// `CONFIG.retriever.corsOrigin` (`src/config.js`).
        static let corsOrigin = "https://http-observatory.security.mozilla.org"

        /// The scanned site's host name (`requests.site.hostname`).
        var hostname: String { https.first?.url.host ?? http.first?.url.host ?? "" }
    }

    /// One test's outcome: the `Expectation` it reached, and what that is worth.
    struct TestResult: Sendable {
        var test: String
        var result: Expectation
        var pass: Bool
        /// What the test looked at (the header value, the redirect route, …), for the breakdown.
        var data: String
        var modifier: Int { result.modifier }
    }

    let rules: Rules
    let results: [TestResult]
    /// 100 plus the penalties only.
    let uncurvedScore: Int
    /// The final score: with the bonuses when `uncurvedScore` ≥ 90, else `uncurvedScore`.
    let score: Int
    let grade: String

    static let minimumScoreForExtraCredit = 90

    struct ScanError: Error, CustomStringConvertible {
        var description: String
    }

    /// `analyzeScan` (`src/scanner/index.js`).
    init(_ scan: Scan, rules: Rules) throws {
        guard let auto = scan.https.last else { throw ScanError(description: "The site seems to be down.") }
        // "We allow 2xx, 3xx, 401 and 403 status codes"
        guard (200..<400).contains(auto.status) || [401, 403].contains(auto.status) else {
            throw ScanError(description: "Site did respond with an unexpected HTTP status code \(auto.status).")
        }
        let requests = Requests(scan: scan)
        self.rules = rules
        results = rules.tests.map { requests.run($0) }
        var withExtraCredit = 100
        var uncurved = 100
        for result in results {
            withExtraCredit += result.modifier
            if result.modifier < 0 { uncurved += result.modifier }
        }
        uncurvedScore = uncurved
        score = max(uncurved >= Self.minimumScoreForExtraCredit ? withExtraCredit : uncurved, 0)
        grade = Self.grade(for: score)
    }

    /// `getGradeForScore` and `GRADE_CHART` (`src/grader/`).
    static func grade(for score: Int) -> String {
        let key = min(max(score, 0) - max(score, 0) % 5, 100)
        switch key {
        case 100: return "A+"
        case 90, 95: return "A"
        case 85: return "A-"
        case 80: return "B+"
        case 70, 75: return "B"
        case 65: return "B-"
        case 60: return "C+"
        case 50, 55: return "C"
        case 45: return "C-"
        case 40: return "D+"
        case 30, 35: return "D"
        case 25: return "D-"
        default: return "F"
        }
    }

    func result(_ test: String) -> TestResult? { results.first { $0.test == test } }

    /// The breakdown as a Markdown table, the way docs/security.md shows it.
    var description: String {
        var lines = ["Observatory rules \(rules.rawValue): score \(score), grade \(grade) (before bonuses \(uncurvedScore))", "", "| test | result | modifier | pass | data |", "|---|---|---|---|---|"]
        for result in results {
            let modifier = result.modifier > 0 ? "+\(result.modifier)" : "\(result.modifier)"
            let data = result.data.count > 100 ? String(result.data.prefix(97)) + "…" : result.data
            lines.append("| \(result.test) | \(result.result.rawValue) | \(modifier) | \(result.pass ? "yes" : "no") | \(data.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - Expectations and their modifiers (`Expectation` in src/types.js, `SCORE_TABLE` in src/grader/charts.js)

extension ObservatoryScore {
    enum Expectation: String, Sendable {
        case cspImplementedWithNoUnsafeDefaultSrcNone = "csp-implemented-with-no-unsafe-default-src-none"
        case cspImplementedWithNoUnsafe = "csp-implemented-with-no-unsafe"
        case cspImplementedWithUnsafeInlineInStyleSrcOnly = "csp-implemented-with-unsafe-inline-in-style-src-only"
        case cspImplementedWithInsecureSchemeInPassiveContentOnly = "csp-implemented-with-insecure-scheme-in-passive-content-only"
        case cspImplementedWithUnsafeEval = "csp-implemented-with-unsafe-eval"
        case cspImplementedWithUnsafeInline = "csp-implemented-with-unsafe-inline"
        case cspImplementedWithInsecureScheme = "csp-implemented-with-insecure-scheme"
        case cspHeaderInvalid = "csp-header-invalid"
        case cspNotImplemented = "csp-not-implemented"
        case cspNotImplementedButReportingEnabled = "csp-not-implemented-but-reporting-enabled"
        case cspImplementedButDuplicateDirectives = "csp-implemented-but-duplicate-directives"

        case cookiesSecureWithHttponlySessionsAndSamesite = "cookies-secure-with-httponly-sessions-and-samesite"
        case cookiesSecureWithHttponlySessions = "cookies-secure-with-httponly-sessions"
        case cookiesNotFound = "cookies-not-found"
        case cookiesWithoutSecureFlagButProtectedByHsts = "cookies-without-secure-flag-but-protected-by-hsts"
        case cookiesSessionWithoutSecureFlagButProtectedByHsts = "cookies-session-without-secure-flag-but-protected-by-hsts"
        case cookiesWithoutSecureFlag = "cookies-without-secure-flag"
        case cookiesSamesiteFlagInvalid = "cookies-samesite-flag-invalid"
        case cookiesAnticsrfWithoutSamesiteFlag = "cookies-anticsrf-without-samesite-flag"
        case cookiesSessionWithoutHttponlyFlag = "cookies-session-without-httponly-flag"
        case cookiesSessionWithoutSecureFlag = "cookies-session-without-secure-flag"

        case corsNotImplemented = "cross-origin-resource-sharing-not-implemented"
        case corsImplementedWithPublicAccess = "cross-origin-resource-sharing-implemented-with-public-access"
        case corsImplementedWithRestrictedAccess = "cross-origin-resource-sharing-implemented-with-restricted-access"
        case corsImplementedWithUniversalAccess = "cross-origin-resource-sharing-implemented-with-universal-access"

        case redirectionAllRedirectsPreloaded = "redirection-all-redirects-preloaded"
        case redirectionToHttps = "redirection-to-https"
        case redirectionNotNeededNoHttp = "redirection-not-needed-no-http"
        case redirectionOffHostFromHttp = "redirection-off-host-from-http"
        case redirectionNotToHttpsOnInitialRedirection = "redirection-not-to-https-on-initial-redirection"
        case redirectionNotToHttps = "redirection-not-to-https"
        case redirectionMissing = "redirection-missing"
        case redirectionInvalidCert = "redirection-invalid-cert"

        case referrerPolicyPrivate = "referrer-policy-private"
        case referrerPolicyNotImplemented = "referrer-policy-not-implemented"
        case referrerPolicyUnsafe = "referrer-policy-unsafe"
        case referrerPolicyHeaderInvalid = "referrer-policy-header-invalid"

        case hstsPreloaded = "hsts-preloaded"
        case hstsImplementedMaxAgeAtLeastSixMonths = "hsts-implemented-max-age-at-least-six-months"
        case hstsImplementedMaxAgeLessThanSixMonths = "hsts-implemented-max-age-less-than-six-months"
        case hstsNotImplemented = "hsts-not-implemented"
        case hstsHeaderInvalid = "hsts-header-invalid"
        case hstsNotImplementedNoHttps = "hsts-not-implemented-no-https"
        case hstsInvalidCert = "hsts-invalid-cert"

        case sriImplementedAndAllScriptsLoadedSecurely = "sri-implemented-and-all-scripts-loaded-securely"
        case sriImplementedAndExternalScriptsLoadedSecurely = "sri-implemented-and-external-scripts-loaded-securely"
        case sriNotImplementedResponseNotHtml = "sri-not-implemented-response-not-html"
        case sriNotImplementedButNoScriptsLoaded = "sri-not-implemented-but-no-scripts-loaded"
        case sriNotImplementedButAllScriptsLoadedFromSecureOrigin = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        case sriNotImplementedButExternalScriptsLoadedSecurely = "sri-not-implemented-but-external-scripts-loaded-securely"
        case sriImplementedButExternalScriptsNotLoadedSecurely = "sri-implemented-but-external-scripts-not-loaded-securely"
        case sriNotImplementedAndExternalScriptsNotLoadedSecurely = "sri-not-implemented-and-external-scripts-not-loaded-securely"
        case htmlNotParseable = "html-not-parseable"

        case xContentTypeOptionsNosniff = "x-content-type-options-nosniff"
        case xContentTypeOptionsNotImplemented = "x-content-type-options-not-implemented"
        case xContentTypeOptionsHeaderInvalid = "x-content-type-options-header-invalid"

        case xFrameOptionsImplementedViaCsp = "x-frame-options-implemented-via-csp"
        case xFrameOptionsSameoriginOrDeny = "x-frame-options-sameorigin-or-deny"
        case xFrameOptionsAllowFromOrigin = "x-frame-options-allow-from-origin"
        case xFrameOptionsNotImplemented = "x-frame-options-not-implemented"
        case xFrameOptionsHeaderInvalid = "x-frame-options-header-invalid"

        case corpHeaderInvalid = "corp-header-invalid"
        case corpImplementedWithCrossOrigin = "corp-implemented-with-cross-origin"
        case corpImplementedWithSameOrigin = "corp-implemented-with-same-origin"
        case corpImplementedWithSameSite = "corp-implemented-with-same-site"
        case corpNotImplemented = "corp-not-implemented"

        case coepImplementedWithRequireCorp = "coep-implemented-with-require-corp"
        case coepImplementedWithCredentialless = "coep-implemented-with-credentialless"
        case coepImplementedWithUnsafeNone = "coep-implemented-with-unsafe-none"
        case coepNotImplemented = "coep-not-implemented"
        case coepHeaderInvalid = "coep-header-invalid"

        case coopImplementedWithSameOrigin = "coop-implemented-with-same-origin"
        case coopImplementedWithSameOriginAllowPopups = "coop-implemented-with-same-origin-allow-popups"
        case coopImplementedWithNoopenerAllowPopups = "coop-implemented-with-noopener-allow-popups"
        case coopImplementedWithUnsafeNone = "coop-implemented-with-unsafe-none"
        case coopNotImplemented = "coop-not-implemented"
        case coopHeaderInvalid = "coop-header-invalid"

        /// `SCORE_TABLE[expectation].modifier`.
        var modifier: Int {
            switch self {
            case .cspImplementedWithNoUnsafeDefaultSrcNone: 10
            case .cspImplementedWithNoUnsafe: 5
            case .cspImplementedWithUnsafeInlineInStyleSrcOnly: 0
            case .cspImplementedWithInsecureSchemeInPassiveContentOnly: -10
            case .cspImplementedWithUnsafeEval: -10
            case .cspImplementedWithUnsafeInline: -20
            case .cspImplementedWithInsecureScheme: -20
            case .cspHeaderInvalid: -25
            case .cspNotImplemented: -25
            case .cspNotImplementedButReportingEnabled: -25
            case .cspImplementedButDuplicateDirectives: 0

            case .cookiesSecureWithHttponlySessionsAndSamesite: 5
            case .cookiesSecureWithHttponlySessions: 0
            case .cookiesNotFound: 0
            case .cookiesWithoutSecureFlagButProtectedByHsts: -5
            case .cookiesSessionWithoutSecureFlagButProtectedByHsts: -10
            case .cookiesWithoutSecureFlag: -20
            case .cookiesSamesiteFlagInvalid: -20
            case .cookiesAnticsrfWithoutSamesiteFlag: -20
            case .cookiesSessionWithoutHttponlyFlag: -30
            case .cookiesSessionWithoutSecureFlag: -40

            case .corsNotImplemented, .corsImplementedWithPublicAccess, .corsImplementedWithRestrictedAccess: 0
            case .corsImplementedWithUniversalAccess: -50

            case .redirectionAllRedirectsPreloaded, .redirectionToHttps, .redirectionNotNeededNoHttp: 0
            case .redirectionOffHostFromHttp: -5
            case .redirectionNotToHttpsOnInitialRedirection: -10
            case .redirectionNotToHttps, .redirectionMissing, .redirectionInvalidCert: -20

            case .referrerPolicyPrivate: 5
            case .referrerPolicyNotImplemented: 0
            case .referrerPolicyUnsafe, .referrerPolicyHeaderInvalid: -5

            case .hstsPreloaded: 5
            case .hstsImplementedMaxAgeAtLeastSixMonths: 0
            case .hstsImplementedMaxAgeLessThanSixMonths: -10
            case .hstsNotImplemented, .hstsHeaderInvalid, .hstsNotImplementedNoHttps, .hstsInvalidCert: -20

            case .sriImplementedAndAllScriptsLoadedSecurely, .sriImplementedAndExternalScriptsLoadedSecurely: 5
            case .sriNotImplementedResponseNotHtml, .sriNotImplementedButNoScriptsLoaded, .sriNotImplementedButAllScriptsLoadedFromSecureOrigin: 0
            case .sriNotImplementedButExternalScriptsLoadedSecurely: -5
            case .sriImplementedButExternalScriptsNotLoadedSecurely: -20
            case .sriNotImplementedAndExternalScriptsNotLoadedSecurely: -50
            case .htmlNotParseable: -20

            case .xContentTypeOptionsNosniff: 0
            case .xContentTypeOptionsNotImplemented, .xContentTypeOptionsHeaderInvalid: -5

            case .xFrameOptionsImplementedViaCsp, .xFrameOptionsSameoriginOrDeny: 5
            case .xFrameOptionsAllowFromOrigin: 0
            case .xFrameOptionsNotImplemented, .xFrameOptionsHeaderInvalid: -20

            case .corpHeaderInvalid: -5
            case .corpImplementedWithCrossOrigin, .corpNotImplemented: 0
            case .corpImplementedWithSameOrigin, .corpImplementedWithSameSite: 10

            case .coepImplementedWithRequireCorp, .coepImplementedWithCredentialless: 10
            case .coepImplementedWithUnsafeNone, .coepNotImplemented: 0
            case .coepHeaderInvalid: -5

            case .coopImplementedWithSameOrigin, .coopImplementedWithSameOriginAllowPopups, .coopImplementedWithNoopenerAllowPopups: 10
            case .coopImplementedWithUnsafeNone, .coopNotImplemented: 0
            case .coopHeaderInvalid: -5
            }
        }
    }
}

// MARK: - The tests (src/analyzer/tests/*.js), run on the retrieved responses

extension ObservatoryScore {
    /// The scanner's `Requests` for one scan: the responses each test reads.
    struct Requests {
        let scan: Scan
        /// `responses.auto` and `responses.https`: the final response of the https session.
        let auto: Response
        /// `session.url`: where the https session started.
        let sessionURL: URL
        /// `responses.auto.httpEquiv` (`parseHttpEquivHeaders`, src/retriever/utils.js): CSP from
        /// `<meta http-equiv>`, Referrer-Policy from `<meta name="referrer">`; HTML responses only.
        let httpEquiv: [String: [String]]

        init(scan: Scan) {
            self.scan = scan
            auto = scan.https.last!
            sessionURL = scan.https.first!.url
            var equiv: [String: [String]] = ["content-security-policy": []]
            if auto.isHTML, !auto.body.isEmpty {
                for meta in HTMLTags.collect(auto.body, tag: "meta") {
                    if let httpEquiv = meta["http-equiv"], let content = meta["content"] {
                        if httpEquiv.lowercased().trimmingCharacters(in: .whitespaces) == "content-security-policy", !content.isEmpty {
                            equiv["content-security-policy", default: []].append(content)
                        }
                    } else if meta["name"]?.lowercased().trimmingCharacters(in: .whitespaces) == "referrer", let content = meta["content"], !content.isEmpty {
                        equiv["referrer-policy"] = [content]
                    }
                }
            }
            httpEquiv = equiv
        }

        func run(_ test: String) -> TestResult {
            switch test {
            case "content-security-policy": contentSecurityPolicy().result
            case "cookies": cookies()
            case "cross-origin-embedder-policy": crossOriginEmbedderPolicy()
            case "cross-origin-opener-policy": crossOriginOpenerPolicy()
            case "cross-origin-resource-sharing": crossOriginResourceSharing()
            case "redirection": redirection()
            case "referrer-policy": referrerPolicy()
            case "strict-transport-security": strictTransportSecurity()
            case "subresource-integrity": subresourceIntegrity()
            case "x-content-type-options": xContentTypeOptions()
            case "x-frame-options": xFrameOptions()
            case "cross-origin-resource-policy": crossOriginResourcePolicy()
            default: preconditionFailure("unknown Observatory test \(test)")
            }
        }

        // MARK: csp.js

        static let dangerouslyBroad: Set<String> = ["ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"]
        static let unsafeInline: Set<String> = ["'unsafe-inline'", "data:"]
        static let broadOrUnsafeInline = dangerouslyBroad.union(unsafeInline)
        static let passiveDirectives: Set<String> = ["img-src", "media-src"]
        static let noncesAndHashes = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"]

        /// A source list shared by reference, as in the JavaScript: `script-src` falling back to
        /// `default-src` *is* the `default-src` set, so removing `'unsafe-inline'` from one removes it
        /// from the other.
        final class SourceList {
            var sources: Set<String>
            init(_ sources: Set<String>) { self.sources = sources }
            var startsWithNonceOrHash: Bool { sources.contains { source in noncesAndHashes.contains { source.hasPrefix($0) } } }
        }

        /// `contentSecurityPolicyTest`; also returns the parsed directives, which the X-Frame-Options
        /// test reads (`csp.data["frame-ancestors"]`).
        func contentSecurityPolicy() -> (result: TestResult, directives: [String: [String]]?) {
            func done(_ result: Expectation, pass: Bool = false, data: String) -> (result: TestResult, directives: [String: [String]]?) {
                (TestResult(test: "content-security-policy", result: result, pass: pass, data: data), nil)
            }
            // Per RFC 9110 a client may join several CSP fields with commas; commas separate policies.
            func split(_ values: [String]) -> [String] {
                values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
            }
            let httpPolicies = split(auto.values("content-security-policy"))
            let equivPolicies = split(httpEquiv["content-security-policy"] ?? [])
            let shown = (httpPolicies + equivPolicies).joined(separator: ", ")

            let parsed: CSPParser.Policy
            do { parsed = try CSPParser.parse(httpPolicies + equivPolicies) } catch { return done(.cspHeaderInvalid, data: "\(error): \(shown)") }
            let headerOnly = (try? CSPParser.parse(httpPolicies)) ?? CSPParser.Policy()
            let meta = (try? CSPParser.parse(equivPolicies, meta: true)) ?? CSPParser.Policy()
            if headerOnly.size + meta.size == 0 {
                // Content-Security-Policy-Report-Only counts for nothing but a different name.
                if let reportOnly = auto.first("content-security-policy-report-only"), !reportOnly.isEmpty {
                    return done(.cspNotImplementedButReportingEnabled, data: "report-only: \(reportOnly)")
                }
                return done(.cspNotImplemented, data: "")
            }

            let csp = parsed.directives.mapValues { SourceList($0) }
            var result: Expectation?
            // (The scanner also reads base-uri, form-action and the header's frame-ancestors, but only
            // for its report: they change no result. frame-ancestors scores in the X-Frame-Options test.)
            let objectSrc = csp["object-src"] ?? csp["default-src"] ?? SourceList(["*"])
            let scriptSrc = csp["script-src"] ?? csp["default-src"] ?? SourceList(["*"])
            let styleSrc = csp["style-src"] ?? csp["default-src"] ?? SourceList(["*"])

            // 'unsafe-inline' is ignored by browsers when a nonce or hash is present.
            for list in [scriptSrc, styleSrc] where list.startsWithNonceOrHash && list.sources.contains("'unsafe-inline'") {
                list.sources.remove("'unsafe-inline'")
            }
            // 'strict-dynamic' with a nonce or hash: schemes, 'self' and 'unsafe-inline' are ignored.
            if scriptSrc.startsWithNonceOrHash && scriptSrc.sources.contains("'strict-dynamic'") {
                for source in scriptSrc.sources where Self.dangerouslyBroad.contains(where: { source.hasPrefix($0) }) || source == "'self'" || source == "'unsafe-inline'" {
                    scriptSrc.sources.remove(source)
                }
            } else if scriptSrc.sources.contains("'strict-dynamic'") && result == nil {
                result = .cspHeaderInvalid
            }

            var activeSources = csp.filter { !Self.passiveDirectives.contains($0.key) && $0.key != "script-src" }.flatMap { $0.value.sources }
            activeSources += scriptSrc.sources
            let passiveSources = Self.passiveDirectives.flatMap { (csp[$0] ?? csp["default-src"])?.sources ?? [] }
            let https = sessionURL.scheme == "https"
            func insecure(_ source: String) -> Bool { source.hasPrefix("http:") || source.hasPrefix("ftp:") }

            if scriptSrc.sources.contains(where: { Self.broadOrUnsafeInline.contains($0) }) || objectSrc.sources.contains(where: { Self.dangerouslyBroad.contains($0) }) {
                result = result ?? .cspImplementedWithUnsafeInline
            }
            if https && activeSources.contains(where: insecure) {
                result = result ?? .cspImplementedWithInsecureScheme
            }
            if scriptSrc.sources.union(styleSrc.sources).contains("'unsafe-eval'") {
                result = result ?? .cspImplementedWithUnsafeEval
            }
            if https && passiveSources.contains(where: insecure) {
                result = result ?? .cspImplementedWithInsecureSchemeInPassiveContentOnly
            }
            if styleSrc.sources.contains(where: { Self.broadOrUnsafeInline.contains($0) }) {
                result = result ?? .cspImplementedWithUnsafeInlineInStyleSrcOnly
            }
            if csp["default-src"]?.sources == ["'none'"] {
                result = result ?? .cspImplementedWithNoUnsafeDefaultSrcNone
            } else {
                result = result ?? .cspImplementedWithNoUnsafe
            }

            var final = result!
            let pass = [.cspImplementedWithNoUnsafe, .cspImplementedWithNoUnsafeDefaultSrcNone, .cspImplementedWithUnsafeInlineInStyleSrcOnly, .cspImplementedWithInsecureSchemeInPassiveContentOnly].contains(final)
            // A passing policy with a repeated report-uri / report-to is reported as such — worth 0.
            if pass && !parsed.duplicateWarnings.isEmpty { final = .cspImplementedButDuplicateDirectives }
            let directives = csp.mapValues { $0.sources.sorted() }
            return (TestResult(test: "content-security-policy", result: final, pass: pass, data: shown), directives)
        }

        // MARK: cookies.js

        func cookies() -> TestResult {
            let order: [Expectation] = [.cookiesWithoutSecureFlagButProtectedByHsts, .cookiesWithoutSecureFlag, .cookiesSessionWithoutSecureFlagButProtectedByHsts, .cookiesSamesiteFlagInvalid, .cookiesAnticsrfWithoutSamesiteFlag, .cookiesSessionWithoutHttponlyFlag, .cookiesSessionWithoutSecureFlag]
            var result: Expectation?
            func worsen(_ new: Expectation) {
                if let old = result, (order.firstIndex(of: new) ?? -1) <= (order.firstIndex(of: old) ?? -1) { return }
                result = new
            }
            let hsts = strictTransportSecurity().pass

            // A malformed SameSite on the final response's raw Set-Cookie fields.
            for raw in auto.values("set-cookie") {
                for part in raw.trimmingCharacters(in: .whitespaces).split(separator: ";", omittingEmptySubsequences: false) {
                    let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: "=", omittingEmptySubsequences: false)
                    guard pieces[0].trimmingCharacters(in: .whitespaces).lowercased() == "samesite" else { continue }
                    let value = pieces.count > 1 ? pieces[1].trimmingCharacters(in: .whitespaces).lowercased() : ""
                    if !["lax", "strict", "none"].contains(value) { worsen(.cookiesSamesiteFlagInvalid) }
                }
            }

            // The session's cookie jar (tough-cookie): every cookie set along the https chain. The
            // retriever's later robots.txt and preflight requests go through a client without the jar,
            // so their cookies never count.
            let jar = scan.https.flatMap { $0.values("set-cookie") }.compactMap(Cookie.init).filter { $0.name != "heroku-session-affinity" }
            if jar.isEmpty {
                return TestResult(test: "cookies", result: .cookiesNotFound, pass: true, data: "")
            }
            var missingSameSite = false
            for cookie in jar {
                let name = cookie.name.lowercased()
                let session = name.contains("login") || name.contains("sess")
                let antiCSRF = name.contains("csrf")
                if !cookie.secure && cookie.sameSite == "none" { worsen(.cookiesSamesiteFlagInvalid) }
                if !cookie.secure { worsen(hsts ? .cookiesWithoutSecureFlagButProtectedByHsts : .cookiesWithoutSecureFlag) }
                if antiCSRF && cookie.sameSite == nil { worsen(.cookiesAnticsrfWithoutSamesiteFlag) }
                if session && !cookie.secure { worsen(hsts ? .cookiesSessionWithoutSecureFlagButProtectedByHsts : .cookiesSessionWithoutSecureFlag) }
                if session && !cookie.httpOnly { worsen(.cookiesSessionWithoutHttponlyFlag) }
                if cookie.sameSite == nil { missingSameSite = true }
            }
            let final = result ?? (missingSameSite ? .cookiesSecureWithHttponlySessions : .cookiesSecureWithHttponlySessionsAndSamesite)
            let pass = [.cookiesNotFound, .cookiesSecureWithHttponlySessionsAndSamesite, .cookiesSecureWithHttponlySessions].contains(final)
            return TestResult(test: "cookies", result: final, pass: pass, data: scan.https.flatMap { $0.values("set-cookie") }.joined(separator: " | "))
        }

        /// What tough-cookie keeps of a Set-Cookie field for these checks.
        struct Cookie {
            var name: String
            var secure = false
            var httpOnly = false
            /// "strict", "lax" or "none"; nil when absent or any other value.
            var sameSite: String?

            init?(_ field: String) {
                let parts = field.split(separator: ";", omittingEmptySubsequences: false)
                let pair = parts[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                // A field without "=" is a cookie with an empty name, which the scanner filters out.
                name = (pair.count == 2 ? String(pair[0]) : "").trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { return nil }
                for attribute in parts.dropFirst() {
                    let av = attribute.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    let key = av[0].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = av.count > 1 ? av[1].trimmingCharacters(in: .whitespaces).lowercased() : ""
                    switch key {
                    case "secure": secure = true
                    case "httponly": httpOnly = true
                    case "samesite": sameSite = ["strict", "lax", "none"].contains(value) ? value : nil
                    default: break
                    }
                }
            }
        }

        // MARK: cross-origin-embedder-policy.js, cross-origin-opener-policy.js

        func crossOriginEmbedderPolicy() -> TestResult {
            let values = auto.values("cross-origin-embedder-policy")
            var result = Expectation.coepNotImplemented
            if values.count > 1 {
                result = .coepHeaderInvalid
            } else if let value = values.first, !value.isEmpty {
                switch StructuredField.token(String(value.prefix(1024)).trimmingCharacters(in: .whitespaces)) {
                case "require-corp": result = .coepImplementedWithRequireCorp
                case "credentialless": result = .coepImplementedWithCredentialless
                case "unsafe-none": result = .coepImplementedWithUnsafeNone
                default: result = .coepHeaderInvalid
                }
            }
            return TestResult(test: "cross-origin-embedder-policy", result: result, pass: result != .coepHeaderInvalid, data: values.joined(separator: ", "))
        }

        func crossOriginOpenerPolicy() -> TestResult {
            let values = auto.values("cross-origin-opener-policy")
            var result = Expectation.coopNotImplemented
            if values.count > 1 {
                result = .coopHeaderInvalid
            } else if let value = values.first, !value.isEmpty {
                switch StructuredField.token(String(value.prefix(1024)).trimmingCharacters(in: .whitespaces)) {
                case "same-origin": result = .coopImplementedWithSameOrigin
                case "same-origin-allow-popups": result = .coopImplementedWithSameOriginAllowPopups
                case "noopener-allow-popups": result = .coopImplementedWithNoopenerAllowPopups
                case "unsafe-none": result = .coopImplementedWithUnsafeNone
                default: result = .coopHeaderInvalid
                }
            }
            return TestResult(test: "cross-origin-opener-policy", result: result, pass: result != .coopHeaderInvalid, data: values.joined(separator: ", "))
        }

        // MARK: cors.js

        func crossOriginResourceSharing() -> TestResult {
            var result = Expectation.corsNotImplemented
            var data = ""
            if let cors = scan.cors, let allowOrigin = cors.first("access-control-allow-origin"), !allowOrigin.isEmpty {
                data = String(allowOrigin.prefix(256)).trimmingCharacters(in: .whitespaces).lowercased()
                if data == "*" {
                    result = .corsImplementedWithPublicAccess
                } else if allowOrigin == Scan.corsOrigin, cors.first("access-control-allow-credentials")?.lowercased().trimmingCharacters(in: .whitespaces) == "true" {
                    // The origin the scanner made up is reflected, with credentials: anyone's is.
                    result = .corsImplementedWithUniversalAccess
                } else {
                    result = .corsImplementedWithRestrictedAccess
                }
            }
            return TestResult(test: "cross-origin-resource-sharing", result: result, pass: result != .corsImplementedWithUniversalAccess, data: data.isEmpty ? "preflight status \(scan.cors.map { String($0.status) } ?? "none"), no Access-Control-Allow-Origin" : data)
        }

        // MARK: redirection.js

        func redirection() -> TestResult {
            let route = scan.http.map(\.url)
            let shown = zip(scan.http, route).map { "\($0.status) \($1.absoluteString)" }.joined(separator: " → ")
            let result: Expectation
            if route.isEmpty {
                result = .redirectionNotNeededNoHttp
            } else if route.count == 1 {
                // (every host preloaded would win first; localhost never is)
                result = .redirectionMissing
            } else if route.last?.scheme != "https" {
                result = .redirectionNotToHttps
            } else if route[1].scheme == "http" {
                result = .redirectionNotToHttpsOnInitialRedirection
            } else if route[0].scheme == "http" && route[1].scheme == "https" && route[0].host != route[1].host {
                result = .redirectionOffHostFromHttp
            } else {
                result = .redirectionToHttps
            }
            return TestResult(test: "redirection", result: result, pass: [.redirectionToHttps, .redirectionNotNeededNoHttp, .redirectionAllRedirectsPreloaded].contains(result), data: shown)
        }

        // MARK: referrer-policy.js

        func referrerPolicy() -> TestResult {
            let good = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
            let bad = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]
            let values = auto.values("referrer-policy") + (httpEquiv["referrer-policy"] ?? [])
            guard !values.isEmpty else {
                return TestResult(test: "referrer-policy", result: .referrerPolicyNotImplemented, pass: true, data: "")
            }
            let data = values.joined(separator: ", ")
            // The last valid token wins (a <meta> after the header overrides it).
            let policy = data.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.last { good.contains($0) || bad.contains($0) } ?? ""
            let result: Expectation = good.contains(policy) ? .referrerPolicyPrivate : bad.contains(policy) ? .referrerPolicyUnsafe : .referrerPolicyHeaderInvalid
            return TestResult(test: "referrer-policy", result: result, pass: result == .referrerPolicyPrivate, data: data)
        }

        // MARK: strict-transport-security.js

        func strictTransportSecurity() -> TestResult {
            // 15768000 is six months; the scanner accepts 15552000 (180 days).
            let sixMonths = 15_552_000.0
            guard let header = auto.values("strict-transport-security").first else {
                return TestResult(test: "strict-transport-security", result: .hstsNotImplemented, pass: false, data: "")
            }
            let data = String(header.prefix(1024))
            var result = Expectation.hstsHeaderInvalid
            if !data.contains(",") {  // a comma: the header was sent twice
                var maxAge: Double?
                for parameter in data.split(separator: ";", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where parameter.hasPrefix("max-age=") {
                    maxAge = Self.parseInt(String(parameter.dropFirst(8).prefix(120)))
                }
                if let maxAge {
                    // NaN < x is false in JavaScript: an unparsable max-age passes as "at least".
                    result = maxAge < sixMonths ? .hstsImplementedMaxAgeLessThanSixMonths : .hstsImplementedMaxAgeAtLeastSixMonths
                }
            }
            return TestResult(test: "strict-transport-security", result: result, pass: result == .hstsImplementedMaxAgeAtLeastSixMonths, data: data)
        }

        /// JavaScript's `Number.parseInt(text, 10)`: leading digits, NaN when there are none.
        static func parseInt(_ text: String) -> Double {
            var rest = Substring(text).drop { $0.isWhitespace }
            var sign = 1.0
            if let first = rest.first, first == "-" || first == "+" {
                sign = first == "-" ? -1 : 1
                rest = rest.dropFirst()
            }
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            return digits.isEmpty ? .nan : sign * (Double(digits) ?? .nan)
        }

        // MARK: subresource-integrity.js

        func subresourceIntegrity() -> TestResult {
            let order: [Expectation] = [.sriImplementedAndAllScriptsLoadedSecurely, .sriImplementedAndExternalScriptsLoadedSecurely, .sriImplementedButExternalScriptsNotLoadedSecurely, .sriNotImplementedButExternalScriptsLoadedSecurely, .sriNotImplementedAndExternalScriptsNotLoadedSecurely, .sriNotImplementedResponseNotHtml]
            var result: Expectation?
            func worsen(_ new: Expectation) {
                if let old = result, (order.firstIndex(of: new) ?? -1) <= (order.firstIndex(of: old) ?? -1) { return }
                result = new
            }
            let mime = (auto.first("content-type") ?? "").split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            var data: [String] = []
            if !mime.isEmpty && !auto.isHTML {
                result = .sriNotImplementedResponseNotHtml
            } else {
                let scripts = HTMLTags.collect(auto.body, tag: "script")
                var foreign = false
                for script in scripts {
                    guard let src = script["src"], !src.isEmpty else { continue }
                    let integrity = script["integrity"].flatMap { $0.isEmpty ? nil : $0 }
                    let relativeProtocol = src.range(of: "^//[^/]", options: .regularExpression) != nil
                    let fullURL = src.range(of: "^https?://", options: .regularExpression) != nil
                    let relativeOrigin = !relativeProtocol && !fullURL
                    let sameSecondLevelDomain = relativeProtocol || relativeOrigin || Self.registrableDomain(URL(string: src)?.host) == Self.registrableDomain(scan.hostname)
                    let secureOrigin = relativeOrigin || (sameSecondLevelDomain && !relativeProtocol)
                    if !secureOrigin { foreign = true }
                    let scheme = relativeProtocol || relativeOrigin ? nil : URL(string: src)?.scheme
                    let secureScheme = scheme == "https" || (relativeOrigin && sessionURL.scheme == "https")
                    if !secureOrigin {
                        data.append(src)
                        if integrity != nil && !secureScheme {
                            worsen(.sriImplementedButExternalScriptsNotLoadedSecurely)
                        } else if integrity == nil && secureScheme {
                            worsen(.sriNotImplementedButExternalScriptsLoadedSecurely)
                        } else if integrity == nil {
                            worsen(.sriNotImplementedAndExternalScriptsNotLoadedSecurely)
                        }
                    } else if integrity != nil && secureScheme && result == nil {
                        result = .sriImplementedAndAllScriptsLoadedSecurely
                    }
                }
                if scripts.isEmpty {
                    result = .sriNotImplementedButNoScriptsLoaded
                } else if result == nil {
                    result = foreign ? .sriImplementedAndExternalScriptsLoadedSecurely : .sriNotImplementedButAllScriptsLoadedFromSecureOrigin
                }
                data.insert("\(scripts.count) <script> element(s)", at: 0)
            }
            let final = result!
            let pass = [.sriImplementedAndAllScriptsLoadedSecurely, .sriImplementedAndExternalScriptsLoadedSecurely, .sriNotImplementedResponseNotHtml, .sriNotImplementedButAllScriptsLoadedFromSecureOrigin, .sriNotImplementedButNoScriptsLoaded].contains(final)
            return TestResult(test: "subresource-integrity", result: final, pass: pass, data: data.isEmpty ? mime : data.joined(separator: ", "))
        }

        /// The scanner asks `tldts` (the public suffix list); the last two labels are close enough here.
        static func registrableDomain(_ host: String?) -> String? {
            host.map { $0.split(separator: ".").suffix(2).joined(separator: ".").lowercased() }
        }

        // MARK: x-content-type-options.js

        func xContentTypeOptions() -> TestResult {
            guard let header = auto.first("x-content-type-options"), !header.isEmpty else {
                return TestResult(test: "x-content-type-options", result: .xContentTypeOptionsNotImplemented, pass: false, data: "")
            }
            let nosniff = header.prefix(256).trimmingCharacters(in: .whitespaces).lowercased() == "nosniff"
            return TestResult(test: "x-content-type-options", result: nosniff ? .xContentTypeOptionsNosniff : .xContentTypeOptionsHeaderInvalid, pass: nosniff, data: header)
        }

        // MARK: x-frame-options.js

        func xFrameOptions() -> TestResult {
            var result = Expectation.xFrameOptionsNotImplemented
            let header = auto.first("x-frame-options") ?? ""
            if !header.isEmpty {
                let value = header.prefix(1024).trimmingCharacters(in: .whitespaces).lowercased()
                result = ["deny", "sameorigin"].contains(value) ? .xFrameOptionsSameoriginOrDeny : value.hasPrefix("allow-from") ? .xFrameOptionsAllowFromOrigin : .xFrameOptionsHeaderInvalid
            }
            // CSP frame-ancestors supersedes the header, whatever the header says.
            let frameAncestors = contentSecurityPolicy().directives?["frame-ancestors"]
            if frameAncestors != nil { result = .xFrameOptionsImplementedViaCsp }
            let data = [header.isEmpty ? nil : "X-Frame-Options: \(header)", frameAncestors.map { "frame-ancestors \($0.joined(separator: " "))" }].compactMap { $0 }.joined(separator: "; ")
            return TestResult(test: "x-frame-options", result: result, pass: [.xFrameOptionsAllowFromOrigin, .xFrameOptionsSameoriginOrDeny, .xFrameOptionsImplementedViaCsp].contains(result), data: data)
        }

        // MARK: cross-origin-resource-policy.js

        func crossOriginResourcePolicy() -> TestResult {
            // (v1.6.3 read only the first field; main joins them, so a repeated header is invalid.
            // Node has already joined repeated fields, so both read the same value here.)
            let header = auto.values("cross-origin-resource-policy").joined(separator: ", ")
            var result = Expectation.corpNotImplemented
            if !header.isEmpty {
                switch header.prefix(256).trimmingCharacters(in: .whitespaces).lowercased() {
                case "same-site": result = .corpImplementedWithSameSite
                case "same-origin": result = .corpImplementedWithSameOrigin
                case "cross-origin": result = .corpImplementedWithCrossOrigin
                default: result = .corpHeaderInvalid
                }
            }
            return TestResult(test: "cross-origin-resource-policy", result: result, pass: result != .corpHeaderInvalid, data: header)
        }
    }
}

// MARK: - Parsers the tests share

extension ObservatoryScore {
    /// `parseCsp` and `parseCspMeta` (src/analyzer/cspParser.js).
    enum CSPParser {
        struct Policy {
            var directives: [String: Set<String>] = [:]
            /// Repeated report-uri / report-to: allowed, but reported.
            var duplicateWarnings: Set<String> = []
            /// The size of the JavaScript Map, the warnings entry included.
            var size: Int { directives.count + (duplicateWarnings.isEmpty ? 0 : 1) }
        }

        struct InvalidPolicy: Error, CustomStringConvertible {
            var description: String
        }

        private struct Source {
            var source: String
            var index: Int
            var keep: Bool
        }

        /// Several policies are intersected: a source counts only if every policy allows it.
        static func parse(_ policies: [String], meta: Bool = false) throws -> Policy {
            let clean = policies.map { $0.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "").trimmingCharacters(in: .whitespaces) }
            if clean.isEmpty { return Policy() }
            // Shorter than "img-src" minus one character: not a policy.
            for policy in clean where policy.count < 6 {
                throw InvalidPolicy(description: "Invalid policy: \(policy)")
            }
            var csp: [String: [Source]] = [:]
            var warnings: Set<String> = []
            for (index, policy) in clean.enumerated() {
                var seen: Set<String> = []
                for entry in policy.split(separator: ";", omittingEmptySubsequences: false) {
                    let tokens = entry.split(whereSeparator: { $0.isWhitespace }).map(String.init)
                    guard let first = tokens.first else { continue }
                    let directive = first.lowercased()
                    // Repeated directives are invalid "so that people notice", except report-uri/report-to.
                    if seen.contains(directive) {
                        guard ["report-uri", "report-to"].contains(directive) else {
                            throw InvalidPolicy(description: "Duplicate directive \(directive) in policy \(index)")
                        }
                        warnings.insert(directive)
                    } else {
                        seen.insert(directive)
                    }
                    var values = tokens.dropFirst().map { Source(source: $0.lowercased(), index: index, keep: index == 0) }
                    if values.isEmpty && directive.hasSuffix("-src") {
                        values = [Source(source: "'none'", index: index, keep: index == 0)]  // an empty source list is 'none'
                    }
                    var combined = index == 0 ? values : (csp[directive] ?? []) + values
                    combined.sort { $0.source < $1.source }
                    if combined.count > 1 {
                        for i in 1..<combined.count {
                            let previous = combined[i - 1]
                            // Within one policy, a source that extends the previous one is superfluous.
                            if combined[i].index == previous.index && combined[i].source.hasPrefix(previous.source) {
                                combined[i].keep = false
                            }
                            // Across policies, a source survives only if the other policy has it too.
                            if combined[i].index != previous.index && pathPartMatch(previous.source, combined[i].source) {
                                combined[i].keep = true
                            }
                        }
                    }
                    var kept = combined.filter(\.keep)
                    if index == 0 && clean.count > 1 {
                        for i in kept.indices { kept[i].keep = false }
                    }
                    csp[directive] = kept
                }
            }
            var result = Policy(directives: csp.mapValues { $0.isEmpty ? ["'none'"] : Set($0.map(\.source)) }, duplicateWarnings: warnings)
            if meta {
                // Not allowed in <meta> (HTML standard).
                for directive in ["frame-ancestors", "report-uri", "sandbox"] { result.directives[directive] = nil }
            }
            return result
        }

        private static func pathPartMatch(_ a: String, _ b: String) -> Bool {
            if a.isEmpty { return true }
            if a == "/" && b.isEmpty { return true }
            let exact = !a.hasSuffix("/")
            var partsA = a.split(separator: "/", omittingEmptySubsequences: false)
            let partsB = b.split(separator: "/", omittingEmptySubsequences: false)
            if partsA.count > partsB.count { return false }
            if exact && partsA.count != partsB.count { return false }
            if !exact { partsA.removeLast() }
            for (i, part) in partsA.enumerated() {
                let left = String(part).removingPercentEncoding ?? String(part)
                let right = String(partsB[i]).removingPercentEncoding ?? String(partsB[i])
                if left != right { return false }
            }
            return true
        }
    }

    /// `parseStructuredFieldToken` (src/analyzer/utils.js): the value as an RFC 8941 item whose bare
    /// item is a token (parameters allowed and ignored); nil for anything else.
    enum StructuredField {
        static func token(_ value: String) -> String? {
            var rest = Substring(value).drop { $0 == " " }
            guard let bare = parseToken(&rest) else { return nil }
            while rest.first == ";" {
                rest = rest.dropFirst().drop { $0 == " " }
                guard let keyStart = rest.first, keyStart.isLowercase || keyStart == "*" else { return nil }
                rest = rest.drop { $0.isLowercase || $0.isNumber || "_-.*".contains($0) }
                if rest.first == "=" {
                    rest = rest.dropFirst()
                    guard skipBareItem(&rest) else { return nil }
                }
            }
            return rest.allSatisfy { $0 == " " } ? bare : nil
        }

        private static func isTChar(_ c: Character) -> Bool {
            c.isASCII && (c.isLetter || c.isNumber || "!#$%&'*+-.^_`|~:/".contains(c))
        }

        private static func parseToken(_ rest: inout Substring) -> String? {
            guard let first = rest.first, first.isASCII, first.isLetter || first == "*" else { return nil }
            let token = rest.prefix(while: isTChar)
            rest = rest.dropFirst(token.count)
            return String(token)
        }

        private static func skipBareItem(_ rest: inout Substring) -> Bool {
            guard let first = rest.first else { return false }
            if first == "\"" {
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex {
                    if rest[index] == "\\" { index = rest.index(index, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex; continue }
                    if rest[index] == "\"" { rest = rest[rest.index(after: index)...]; return true }
                    index = rest.index(after: index)
                }
                return false
            }
            if first == "?" { rest = rest.dropFirst(); guard rest.first == "0" || rest.first == "1" else { return false }; rest = rest.dropFirst(); return true }
            if first == ":" { rest = rest.dropFirst(); guard let end = rest.firstIndex(of: ":") else { return false }; rest = rest[rest.index(after: end)...]; return true }
            if first == "-" || first.isNumber { rest = rest.dropFirst().drop { $0.isNumber || $0 == "." }; return true }
            return parseToken(&rest) != nil
        }
    }

    /// The start tags of one name in an HTML document, with their attributes, the way htmlparser2
    /// (src/utils/html-parser.js) reports them: names lowercased, entities decoded, the first of a
    /// repeated attribute kept, nothing inside comments or inside <script>/<style>/<title>/<textarea>.
    enum HTMLTags {
        static func collect(_ html: String, tag: String) -> [[String: String]] {
            let chars = Array(html)
            var found: [[String: String]] = []
            var i = 0
            func starts(with text: String, at index: Int) -> Bool {
                let t = Array(text.lowercased())
                guard index + t.count <= chars.count else { return false }
                return (0..<t.count).allSatisfy { chars[index + $0].lowercased() == String(t[$0]) }
            }
            while i < chars.count {
                guard chars[i] == "<" else { i += 1; continue }
                if starts(with: "<!--", at: i) {
                    i += 4
                    while i < chars.count && !starts(with: "-->", at: i) { i += 1 }
                    i += 3
                    continue
                }
                guard i + 1 < chars.count, chars[i + 1].isLetter else { i += 1; continue }
                i += 1
                var name = ""
                while i < chars.count, !chars[i].isWhitespace, chars[i] != ">", chars[i] != "/" { name.append(chars[i]); i += 1 }
                name = name.lowercased()
                var attributes: [String: String] = [:]
                while i < chars.count && chars[i] != ">" {
                    if chars[i].isWhitespace || chars[i] == "/" { i += 1; continue }
                    var attribute = ""
                    while i < chars.count, !chars[i].isWhitespace, chars[i] != "=", chars[i] != ">", chars[i] != "/" { attribute.append(chars[i]); i += 1 }
                    while i < chars.count && chars[i].isWhitespace { i += 1 }
                    var value = ""
                    if i < chars.count && chars[i] == "=" {
                        i += 1
                        while i < chars.count && chars[i].isWhitespace { i += 1 }
                        if i < chars.count, chars[i] == "\"" || chars[i] == "'" {
                            let quote = chars[i]
                            i += 1
                            while i < chars.count && chars[i] != quote { value.append(chars[i]); i += 1 }
                            i += 1
                        } else {
                            while i < chars.count, !chars[i].isWhitespace, chars[i] != ">" { value.append(chars[i]); i += 1 }
                        }
                    }
                    let key = attribute.lowercased()
                    if attributes[key] == nil { attributes[key] = decodeEntities(value) }
                }
                i += 1
                if name == tag.lowercased() { found.append(attributes) }
                if ["script", "style", "title", "textarea"].contains(name) {
                    while i < chars.count && !starts(with: "</\(name)", at: i) { i += 1 }
                }
            }
            return found
        }

        static func decodeEntities(_ text: String) -> String {
            guard text.contains("&") else { return text }
            var out = text
            for (entity, character) in [("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
                out = out.replacingOccurrences(of: entity, with: character)
            }
            return out
        }
    }
}
