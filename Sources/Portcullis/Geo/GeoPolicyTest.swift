import NIOCore
import NIOHTTP1
import NIOPosix

/// The geo rules' part of `portcullis policy-test`: a case says where its client is (`location:
/// GB`, `US-TX` or `unknown`) instead of a database answering, and the rules decide as in the
/// gateway; a case without `location` skips the geo rules. An age token in the case's headers is verified as the gateway verifies it.
enum GeoPolicyTest {
    struct Outcome {
        /// The enforcing rule that decided, if any.
        var rule: String?
        /// The gateway's own answer (451 or 302), when it made one.
        var answer: GatewayAnswer?
    }

    static func run(_ testCase: PolicyTestCase, policies: PolicySet) -> Outcome {
        let policy = policies.geo
        let request = testCase.request
        // A case without a location is not about geo rules (cases of other kinds stay as written).
        guard !policy.rules.isEmpty, let location = request.location else { return Outcome() }
        let phase = GeoPhase(store: nil)
        let lookup: GeoLookup = location.map { .found($0) } ?? .notFound
        let headers = HTTPHeaders(request.headers.map { ($0.name, $0.value) })
        let path = SecurityHeaderPolicy.path(of: request.target)
        var next = 0
        while let index = policy.rules.nextMatch(from: next, host: request.host, path: path, method: request.method) {
            let rule = policy.rules[index]
            next = index + 1
            if rule.isShadow { continue }
            var decision = phase.decide(rule, lookup: lookup, headers: headers)
            if case .verify(let token, let ageToken, _) = decision {
                // The first sight of a token; the CLI is not on an event loop.
                try? ageToken.verifier.resolve(token, now: Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds), eventLoop: MultiThreadedEventLoopGroup.singleton.next()).wait()
                decision = phase.decide(rule, lookup: lookup, headers: headers)
            }
            var decisions = AccessLogDecisions()
            switch phase.answer(rule, decision: decision, lookup: lookup, url: request.url, decisions: &decisions) {
            case .respond(let problem): return Outcome(rule: rule.name, answer: .problem(problem))
            case .respondWith(let head, let body): return Outcome(rule: rule.name, answer: .response(head, body))
            case .proceed, .pending, .collectBody: return Outcome(rule: rule.name)
            }
        }
        return Outcome()
    }

    /// `GB`, `US-TX` (its country is the part before the hyphen), or `unknown`.
    static func location(_ text: String) -> (location: GeoLocation?, problem: String?) {
        if text == "unknown" { return (nil, nil) }
        if let problem = GeoBuilder.codeProblem(text, subdivisions: true) { return (nil, problem + "; or unknown (not in the database)") }
        let country = String(text.prefix { $0 != "-" })
        return (GeoLocation(country: country, subdivision: text.contains("-") ? text : nil), nil)
    }
}
