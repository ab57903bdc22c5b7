import Foundation

/// The real `portcullis run` in a child process, on free loopback ports, stopped by its pid.
final class GatewayProcess: @unchecked Sendable {
    let process = Process()
    let httpPort: Int
    let adminPort: Int
    let directory: URL
    let logURL: URL
    private var stopped = false

    /// The HTTPS listener's port, when the gateway was started with `tls`.
    let tlsPort: Int
    /// The policy directory, when the gateway was started with `policies`.
    var policyDirectory: URL { directory.appendingPathComponent("policies") }

    /// - Parameters:
    ///   - configBody: the config without `listeners` and `admin` (they are added here with free ports).
    ///   - tls: the `tls:` block (and any other keys) of an HTTPS listener, added next to the plain one.
    ///   - policies: policy files (name → YAML) written to `policyDirectory`, checked every `policyReloadInterval`.
    ///   - softFileLimit: the soft RLIMIT_NOFILE the gateway starts with (set by `prlimit`), as a
    ///     service manager would give it; inherited from the test process when nil.
    init(configBody: String, serverNames: [String] = ["localhost", "127.0.0.1"], tls: String? = nil, plainListener: String = "", policies: [String: String]? = nil, policyReloadInterval: String = "100ms", adminExtra: String = "", arguments: [String] = [], softFileLimit: Int? = nil) throws {
        httpPort = try FreePort.next()
        adminPort = try FreePort.next()
        tlsPort = try FreePort.next()
        directory = try TestPaths.temporaryDirectory()
        logURL = directory.appendingPathComponent("gateway.log")
        let names = serverNames.map { "\"\($0)\"" }.joined(separator: ", ")
        let tlsListener = tls.map { block in
            """
              - name: https
                address: 127.0.0.1:\(tlsPort)
                server_names: [\(names)]
            \(block.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        } ?? ""
        var policySection = ""
        if let policies {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("policies"), withIntermediateDirectories: true)
            for (name, text) in policies {
                try text.write(to: directory.appendingPathComponent("policies").appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            policySection = "policies: { directory: \(directory.path)/policies, reload_interval: \(policyReloadInterval) }"
        }
        let config = """
            \(policySection)
            listeners:
              - name: http
                address: 127.0.0.1:\(httpPort)
                server_names: [\(names)]
            \(plainListener.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            \(tlsListener)
            admin:
              address: 127.0.0.1:\(adminPort)
              \(adminExtra)
            \(configBody)
            """
        let configURL = directory.appendingPathComponent("portcullis.yaml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let command = [TestPaths.gatewayBinary, "run", "--config", configURL.path] + arguments
        if let softFileLimit {
            // prlimit executes the gateway in its own process: the pid stays the gateway's.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(softFileLimit):"] + command
        } else {
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
        }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Starts a gateway and waits until its admin listener answers /healthz.
    /// A port taken between choosing and binding it (by another process) gets fresh ports, twice.
    static func start(_ configBody: String, serverNames: [String] = ["localhost", "127.0.0.1"], tls: String? = nil, plainListener: String = "", policies: [String: String]? = nil, policyReloadInterval: String = "100ms", adminExtra: String = "", arguments: [String] = [], softFileLimit: Int? = nil) async throws -> GatewayProcess {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await startOnce(configBody, serverNames: serverNames, tls: tls, plainListener: plainListener, policies: policies, policyReloadInterval: policyReloadInterval, adminExtra: adminExtra, arguments: arguments, softFileLimit: softFileLimit)
            } catch let failure as TestFailure where attempt < 3 && failure.description.contains("Address already in use") {
                continue
            }
        }
    }

    private static func startOnce(_ configBody: String, serverNames: [String], tls: String?, plainListener: String, policies: [String: String]?, policyReloadInterval: String, adminExtra: String, arguments: [String], softFileLimit: Int?) async throws -> GatewayProcess {
        let gateway = try GatewayProcess(configBody: configBody, serverNames: serverNames, tls: tls, plainListener: plainListener, policies: policies, policyReloadInterval: policyReloadInterval, adminExtra: adminExtra, arguments: arguments, softFileLimit: softFileLimit)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if !gateway.process.isRunning {
                throw TestFailure("gateway exited at start: \(gateway.log)")
            }
            if let response = try? await TestHTTPClient.get(port: gateway.adminPort, path: "/healthz"), response.status == 200 {
                return gateway
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        gateway.stop()
        throw TestFailure("gateway did not become healthy: \(gateway.log)")
    }

    var pid: Int32 { process.processIdentifier }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Resident memory now and at its peak, in KiB, from /proc.
    func memoryKiB() -> (resident: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(name) {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
            }
            return 0
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }

    /// Sends SIGTERM and waits for exit; returns the exit status.
    @discardableResult
    func terminate(timeout: TimeInterval = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        stopped = true
        return process.terminationStatus
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
