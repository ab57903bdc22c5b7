import Foundation

/// A real `redis-server` on a free loopback port (or the port given, to restart one), in its own
/// temporary directory, persisting nothing; stopped by its pid.
final class RedisServer: @unchecked Sendable {
    static let serverBinary = "/usr/bin/redis-server"
    static let cliBinary = "/usr/bin/redis-cli"

    let port: Int
    let password: String?
    let directory: URL
    private let process = Process()
    private var stopped = false

    var url: String { "redis://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    private init(port: Int, password: String?, arguments: [String]) throws {
        self.port = port
        self.password = password
        directory = try TestPaths.temporaryDirectory()
        var all = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", directory.path, "--daemonize", "no", "--enable-debug-command", "local"]
        if let password { all += ["--requirepass", password] }
        all += arguments
        process.executableURL = URL(fileURLWithPath: Self.serverBinary)
        process.arguments = all
        let log = directory.appendingPathComponent("redis.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Starts a server and waits until it answers PING.
    static func start(port: Int? = nil, password: String? = nil, arguments: [String] = []) async throws -> RedisServer {
        let server = try RedisServer(port: try port ?? FreePort.next(), password: password, arguments: arguments)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !server.process.isRunning { throw TestFailure("redis-server exited at start: \(server.log)") }
            if (try? server.cli(["PING"]))?.contains("PONG") == true { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        server.stop()
        throw TestFailure("redis-server did not answer PING: \(server.log)")
    }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? "" }

    /// Runs `redis-cli` against this server (database `database`); its standard output.
    @discardableResult
    func cli(_ arguments: [String], database: Int = 0) throws -> String {
        var all = ["-h", "127.0.0.1", "-p", String(port), "-n", String(database)]
        if let password { all += ["--no-auth-warning", "-a", password] }
        return try Command.run(Self.cliBinary, all + arguments, timeout: 10).standardOutput
    }

    /// Starts `redis-cli` without waiting for it (a command that blocks the server, like DEBUG SLEEP).
    func cliInBackground(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.cliBinary)
        process.arguments = ["-h", "127.0.0.1", "-p", String(port)] + (password.map { ["--no-auth-warning", "-a", $0] } ?? []) + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The keys of the database (`KEYS *`, fine for a test's handful).
    func keys(database: Int = 0) throws -> [String] {
        try cli(["KEYS", "*"], database: database).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Kills the server (SIGKILL: as abrupt as a crash) and waits for it to exit.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
