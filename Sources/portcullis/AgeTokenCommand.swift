import ArgumentParser
import Foundation
import Portcullis

struct AgeTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "age-token",
        abstract: "Print an age token for a geo rule that verifies with a shared (HS) key.",
        discussion: """
            Signs a JWT with the rule's key, carrying the rule's claim (e.g. "age_over_18": true) and \
            an exp --ttl seconds from now; send it as the rule's cookie or header. For demos and tests: \
            in production an age-verification service issues tokens, and the rule verifies them with \
            its public key. Example (the demo policy):
              curl -H "Cookie: age_token=$(portcullis age-token)" …
            """
    )

    @Option(help: ArgumentHelp("The policy directory.", valueName: "directory"))
    var policies: String = "policies"

    @Option(help: ArgumentHelp("The geo rule's name. Default: the first geo rule with an age token.", valueName: "name"))
    var rule: String?

    @Option(help: ArgumentHelp("Seconds until the token expires.", valueName: "seconds"))
    var ttl: Int = 3600

    @Option(help: ArgumentHelp("The claim's value (false makes a token that proves nothing, for tests).", valueName: "true|false"))
    var claimValue: Bool = true

    @Option(help: ArgumentHelp("Seconds from now to the token's nbf (not valid before); none by default.", valueName: "seconds"))
    var notBefore: Int?

    func run() async throws {
        var standardError = FileHandle.standardError
        let set: PolicySet
        do {
            set = try PolicyLoader.load(directory: policies, environment: ProcessInfo.processInfo.environment)
        } catch {
            for diagnostic in error.diagnostics { print("\(diagnostic)", to: &standardError) }
            throw ExitCode(2)
        }
        let candidates = set.geo.rules.filter { $0.ageToken != nil && (rule == nil || $0.name == rule) }
        guard let chosen = candidates.first, let ageToken = chosen.ageToken else {
            print(rule.map { "no geo rule '\($0)' with require_age_token in \(policies)" } ?? "no geo rule with require_age_token in \(policies)", to: &standardError)
            throw ExitCode(2)
        }
        do {
            print(try await AgeTokenIssuer.issue(for: ageToken, claimValue: claimValue, expiresIn: ttl, notBeforeIn: notBefore))
        } catch {
            print("rule '\(chosen.name)': \(error)", to: &standardError)
            throw ExitCode(2)
        }
    }
}
