import ArgumentParser
import Portcullis

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a config file without starting anything.",
        discussion: """
            Reads the config, reports every problem at once as file:line:column: message, and exits \
            with status 2 if there is any (0 when the file is valid). Environment variables and \
            secret files the config names must be present, as they would be at start-up.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config = try options.load()
        print("\(options.config): OK — \(config.listeners.count) listener(s), \(config.upstreams.count) upstream group(s), \(config.routes.count) route(s)")
    }
}
