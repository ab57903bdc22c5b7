import Foundation

/// Runs a real client program (curl, h2load, python3, ss) and collects what it printed.
enum Command {
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        // Read while waiting so a chatty program never blocks on a full pipe.
        let collected = Collected()
        let group = DispatchGroup()
        for (pipe, isError) in [(output, false), (errors, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.store(data, isError: isError)
                group.leave()
            }
        }
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, standardOutput: collected.text(isError: false), standardError: collected.text(isError: true))
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var output = Data()
        private var errors = Data()

        func store(_ data: Data, isError: Bool) {
            lock.lock()
            defer { lock.unlock() }
            if isError { errors = data } else { output = data }
        }

        func text(isError: Bool) -> String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: isError ? errors : output, as: UTF8.self)
        }
    }

    static func curl(_ arguments: [String], timeout: TimeInterval = 60) throws -> Output {
        try run("/usr/bin/curl", ["--silent", "--show-error", "--max-time", String(Int(timeout))] + arguments, timeout: timeout + 5)
    }

    /// Debian's python3, which sees python3-h2 (a pyenv python on PATH would not).
    static let python = "/usr/bin/python3"

    static func script(_ name: String) -> String {
        TestPaths.packageRoot.appendingPathComponent("Tests/IntegrationTests/Scripts/\(name)").path
    }
}
