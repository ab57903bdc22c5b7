import ArgumentParser
import Foundation
import Portcullis

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a config file and/or a policy directory without starting anything.",
        discussion: """
            Reads the config (--config) and/or every *.yaml policy file of a directory (--policies), \
            reports every problem at once as file:line:column: message, and exits with status 2 if \
            there is any (0 when everything is valid). With neither option the default config is \
            checked; with --policies alone the config is not read. Environment variables and \
            secret files the config names must be present, as they would be at start-up.
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("Path to the operator config (YAML). Default: config/portcullis.yaml when --policies is not given.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("A directory of policy files (every *.yaml and *.yml in it, merged).", valueName: "directory"))
    var policies: String?

    func run() throws {
        var failed = false
        var policyDirectory = policies
        if config != nil || policies == nil {
            let options = try ConfigOptions.parse(config.map { ["--config", $0] } ?? [])
            do {
                let loaded = try options.load()
                print("\(options.config): OK — \(loaded.listeners.count) listener(s), \(loaded.upstreams.count) upstream group(s), \(loaded.routes.count) route(s)")
                // The policy directory the config names is part of what `run` would load.
                if policyDirectory == nil { policyDirectory = loaded.policies?.directory }
            } catch is ExitCode {
                failed = true  // every problem is printed already
            }
        }
        if let policyDirectory {
            do {
                let set = try PolicyLoader.load(directory: policyDirectory, environment: ProcessInfo.processInfo.environment)
                print("\(policyDirectory): OK — \(Self.count(set.headers.rules.count, "header rule")), \(Self.count(set.cors.rules.count, "CORS rule")), \(Self.count(set.rateLimits.rules.count, "rate-limit rule")), \(Self.count(set.uploads.rules.count, "upload rule")), \(Self.count(set.geo.rules.count, "geo rule")) (digest \(set.digest))")
            } catch {
                var standardError = FileHandle.standardError
                for diagnostic in error.diagnostics { print("\(diagnostic)", to: &standardError) }
                print("\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in \(policyDirectory)", to: &standardError)
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }

    private static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }
}
