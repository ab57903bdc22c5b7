import NIOHTTP1

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
        switch cors.decision {
        case .refuse(let problem):
            status = Int(problem.status.code)
            headers = problem.head(version: .http1_1, requestId: "-", bodyLength: 0, close: false).headers
            headers.remove(name: "x-request-id")
            headers.remove(name: "content-length")
        case .preflight(let preflight):
            status = 204
            headers = preflight
        case .allow, .forwardWithoutGrant, .notCrossOrigin:
            headers = HTTPHeaders(testCase.response.headers.map { ($0.name, $0.value) })
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
        return PolicyTestOutcome(name: testCase.name, location: testCase.location, differences: differences)
    }

    private static func describe(_ values: [String]) -> String {
        if values.isEmpty { return "none" }
        return values.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
