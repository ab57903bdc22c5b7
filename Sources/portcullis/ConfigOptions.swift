import ArgumentParser
import Foundation
import Portcullis

/// The `--config` option shared by `run` and `validate`.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Path to the operator config (YAML).", valueName: "file"))
    var config: String = "config/portcullis.yaml"

    /// Loads the config, or prints every problem as file:line:column and exits non-zero.
    func load() throws -> GatewayConfig {
        do {
            return try ConfigLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            var standardError = FileHandle.standardError
            for diagnostic in error.diagnostics { print("\(diagnostic)", to: &standardError) }
            print("\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in \(config)", to: &standardError)
            throw ExitCode(2)
        }
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) {
        write(Data(string.utf8))
    }
}
