import ArgumentParser
import Foundation
import Logging
import Portcullis
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start the gateway.",
        discussion: """
            Loads and validates the config, binds every listener and the admin listener, and serves \
            until SIGTERM or SIGINT. On either signal it stops accepting connections, lets in-flight \
            requests finish for up to timeouts.drain, and exits 0. SIGHUP re-reads the policy \
            directory (it is also watched for changes). Logs go to standard error.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Share rate limits through this Redis (redis://[:password@]host:port/db, unix:///path or a socket path): the store of every rule that names none. Default: $PORTCULLIS_REDIS_URL, else the config's redis section.", valueName: "url"))
    var redisURL: String?

    func run() async throws {
        MallocTuning.reexecuteWithLargerCacheIfNeeded()
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis")
        var config = try options.load()
        if let url = redisURL ?? ProcessInfo.processInfo.environment["PORTCULLIS_REDIS_URL"], !url.isEmpty {
            switch RedisConfig.overriding(config.redis, url: url) {
            case .success(let redis):
                config.redis = redis
            case .failure(let error):
                var standardError = FileHandle.standardError
                print("--redis-url \(error.message)", to: &standardError)
                throw ExitCode(2)
            }
        }
        DescriptorLimit.raise(maxConnections: config.limits.maxConnections, logger: logger)
        let gateway = try Gateway(config: config, logger: logger)
        do {
            try await gateway.start()
        } catch let error as DiagnosticsError {
            // The policy directory is invalid: every problem, as `validate` prints them.
            var standardError = FileHandle.standardError
            for diagnostic in error.diagnostics { print("\(diagnostic)", to: &standardError) }
            logger.critical("could not start: \(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") in the policy files")
            throw ExitCode(2)
        } catch {
            logger.critical("could not start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: gateway)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await services.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
