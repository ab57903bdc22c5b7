import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Runs policy test cases against a compiled policy, without any network: the request goes
/// through the policy's decisions as in the gateway (a CORS preflight or refusal is answered by
/// the gateway itself), otherwise the application's response is the one the case describes, and
/// the header policy is applied to it exactly as the gateway applies it.
public enum PolicyTestRunner {
    public static func run(_ testCase: PolicyTestCase, policies: PolicySet) -> PolicyTestOutcome {
        let request = testCase.request
        var headers: HTTPHeaders
        var status = testCase.response.status
        let path = SecurityHeaderPolicy.path(of: request.target)
        let cors = policies.cors.evaluate(
            CORSDecision.Request(method: request.method, headers: HTTPHeaders(request.headers.map { ($0.name, $0.value) }), isTLS: request.isTLS, authority: request.host),
            host: request.host, path: path
        )
        // The gateway's order: CORS answers preflights and refusals first, then geo rules, then rate limits count.
        var rateLimit = (state: RateLimitState(), problem: ProblemResponse?.none)
        var geo = GeoPolicyTest.Outcome()
        switch cors.decision {
        case .refuse, .preflight: break
        case .allow, .forwardWithoutGrant, .notCrossOrigin:
            geo = GeoPolicyTest.run(testCase, policies: policies)
            if geo.answer == nil { rateLimit = runRateLimits(testCase, policies: policies) }
        }
        switch cors.decision {
        case .refuse(let problem):
            status = Int(problem.status.code)
            headers = gatewayHeaders(problem)
        case .preflight(let preflight):
            status = 204
            headers = preflight
        case .allow, .forwardWithoutGrant, .notCrossOrigin:
            if case .problem(let problem) = geo.answer {
                status = Int(problem.status.code)
                headers = gatewayHeaders(problem)
            } else if case .response(let head, _) = geo.answer {
                status = Int(head.status.code)
                headers = head.headers
            } else if let problem = rateLimit.problem {
                status = Int(problem.status.code)
                headers = gatewayHeaders(problem)
            } else {
                headers = HTTPHeaders(testCase.response.headers.map { ($0.name, $0.value) })
                RateLimitPhase.addHeaders(to: &headers, state: rateLimit.state)
            }
        }
        let selection = policies.headers.apply(to: &headers, host: request.host, target: request.target, method: request.method, isTLS: request.isTLS)
        switch cors.decision {
        case .allow(let grant): grant.apply(to: &headers)
        case .notCrossOrigin, .forwardWithoutGrant: if let rule = cors.rule { CORSGrant(rule: rule, origin: nil).apply(to: &headers) }
        case .refuse: headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        case .preflight: break
        }

        var differences: [String] = []
        if let expected = testCase.expect.status, expected != status {
            differences.append("status: expected \(expected), got \(status)")
        }
        for (name, expected) in testCase.expect.headers {
            let actual = headers[name]
            if actual != expected {
                differences.append("\(name): expected \(describe(expected)), got \(describe(actual))")
            }
        }
        for name in testCase.expect.absent where headers.contains(name: name) {
            differences.append("\(name): expected absent, got \(describe(headers[name]))")
        }
        if let rule = testCase.expect.rule, rule != selection.ruleName {
            differences.append("rule: expected '\(rule)', got '\(selection.ruleName)'")
        }
        if let shadow = testCase.expect.shadowRule {
            let actual = selection.shadowRule?.name ?? "none"
            if shadow != actual { differences.append("shadow_rule: expected '\(shadow)', got '\(actual)'") }
        }
        if let expected = testCase.expect.corsRule {
            let actual = cors.rule?.name ?? "none"
            if expected != actual { differences.append("cors_rule: expected '\(expected)', got '\(actual)'") }
        }
        if let expected = testCase.expect.rateLimitRule {
            let actual = rateLimit.state.resolved?.rule.name ?? "none"
            if expected != actual { differences.append("rate_limit: expected '\(expected)', got '\(actual)'") }
        }
        if let expected = testCase.expect.geoRule, expected != (geo.rule ?? "none") {
            differences.append("geo: expected '\(expected)', got '\(geo.rule ?? "none")'")
        }
        return PolicyTestOutcome(name: testCase.name, location: testCase.location, differences: differences)
    }

    /// The headers of an answer the gateway makes itself, less what varies per request.
    private static func gatewayHeaders(_ problem: ProblemResponse) -> HTTPHeaders {
        var headers = problem.head(version: .http1_1, requestId: "-", bodyLength: 0, close: false).headers
        headers.remove(name: "x-request-id")
        headers.remove(name: "content-length")
        return headers
    }

    /// The client of a case that names none (TEST-NET-1, RFC 5737).
    static let defaultClient = IPAddress.v4(0xC000_0201)

    /// A clock the case moves: the first request at a whole day (a boundary of every usual
    /// window), each repetition `interval` later.
    private final class CaseClock: Sendable {
        let now = Atomic<Int64>(86_400_000_000_000)
    }

    /// Sends the case's request `repeat` times through a fresh store (cases never share
    /// counters) and returns what the last one got.
    private static func runRateLimits(_ testCase: PolicyTestCase, policies: PolicySet) -> (state: RateLimitState, problem: ProblemResponse?) {
        guard !policies.rateLimits.rules.isEmpty else { return (RateLimitState(), nil) }
        let clock = CaseClock()
        let phase = RateLimitPhase(
            store: RateLimitStore(capacity: 4096, shardCount: 1),
            logger: Logger(label: "portcullis.policy-test", factory: { _ in SwiftLogNoOpLogHandler() }),  // the cases' outcomes are the report
            clock: { clock.now.load(ordering: .relaxed) })
        let request = testCase.request
        let phaseRequest = RateLimitPhase.Request(
            method: request.method, headers: HTTPHeaders(request.headers.map { ($0.name, $0.value) }), host: request.host,
            target: request.target, client: request.client ?? defaultClient, requestId: "-"
        )
        var result = (state: RateLimitState(), problem: ProblemResponse?.none)
        for index in 0..<request.repeatCount {
            if index > 0 { clock.now.wrappingAdd(request.interval, ordering: .relaxed) }
            result = (RateLimitState(), nil)
            var outcome = phase.evaluate(phaseRequest, policy: policies.rateLimits, state: &result.state, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
            if case .pending(let future) = outcome {
                // Only a jwt: rule's first sight of a token; the CLI is not on an event loop.
                outcome = (try? future.wait()) ?? .proceed
            }
            if case .respond(let problem) = outcome { result.problem = problem }
        }
        return result
    }

    private static func describe(_ values: [String]) -> String {
        if values.isEmpty { return "none" }
        return values.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
