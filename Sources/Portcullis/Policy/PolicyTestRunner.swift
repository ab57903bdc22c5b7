import NIOHTTP1

/// Runs policy test cases against a compiled policy, without any network: the application's
/// response is the one the case describes, and the header policy is applied to it exactly as
/// the gateway applies it.
public enum PolicyTestRunner {
    public static func run(_ testCase: PolicyTestCase, policies: PolicySet) -> PolicyTestOutcome {
        var headers = HTTPHeaders(testCase.response.headers.map { ($0.name, $0.value) })
        let request = testCase.request
        let selection = policies.headers.apply(to: &headers, host: request.host, target: request.target, method: request.method, isTLS: request.isTLS)

        var differences: [String] = []
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
        return PolicyTestOutcome(name: testCase.name, location: testCase.location, differences: differences)
    }

    private static func describe(_ values: [String]) -> String {
        if values.isEmpty { return "none" }
        return values.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
