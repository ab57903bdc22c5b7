import ArgumentParser
import Foundation
import Portcullis

struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy-test",
        abstract: "Run the policy test cases of a directory against the policy files, offline.",
        discussion: """
            Each *.yaml file in the directory is a list of cases: a request, the response the \
            application gave, and what is expected of the gateway (headers present or absent, the \
            rule that applied). Prints ok or FAIL per case with every difference, and exits 1 if \
            any case fails, 2 if the policies or the cases are invalid. No network is used. \
            See docs/policy-reference.md.
            """
    )

    @Argument(help: ArgumentHelp("The directory of test cases.", valueName: "directory"))
    var tests: String = "policies/tests"

    @Option(help: ArgumentHelp("The policy directory under test. Default: the parent of the test directory.", valueName: "directory"))
    var policies: String?

    func run() throws {
        var standardError = FileHandle.standardError
        let policyDirectory = policies ?? Self.parent(of: tests)
        let environment = ProcessInfo.processInfo.environment
        let set: PolicySet
        let cases: [PolicyTestCase]
        do {
            set = try PolicyLoader.load(directory: policyDirectory, environment: environment)
        } catch {
            for diagnostic in error.diagnostics { print("\(diagnostic)", to: &standardError) }
            print("\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in \(policyDirectory); no case was run", to: &standardError)
            throw ExitCode(2)
        }
        do {
            cases = try PolicyTestLoader.load(directory: tests, policies: set, environment: environment)
        } catch {
            for diagnostic in error.diagnostics { print("\(diagnostic)", to: &standardError) }
            print("\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in \(tests); no case was run", to: &standardError)
            throw ExitCode(2)
        }
        var failures = 0
        for testCase in cases {
            let outcome = PolicyTestRunner.run(testCase, policies: set)
            if outcome.passed {
                print("ok    \(outcome.name)")
            } else {
                failures += 1
                print("FAIL  \(outcome.name) (\(outcome.location))")
                for difference in outcome.differences { print("        \(difference)") }
            }
        }
        print("\(cases.count) case\(cases.count == 1 ? "" : "s"): \(cases.count - failures) passed, \(failures) failed")
        if failures > 0 { throw ExitCode(1) }
    }

    /// `policies/tests/` → `policies`; `tests` → `.`.
    static func parent(of directory: String) -> String {
        var path = directory
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
