import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real `clamd` (Debian clamav-daemon) with its own config in a temp directory: the test's
/// signatures, a private unix socket and a TCP port on loopback. Stopped by its pid.
final class ClamdProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let socketPath: String
    let tcpPort: Int

    /// - Parameter tcpPort: the port to listen on (a restart on the same one); a free one when nil.
    init(signatures: URL, tcpPort: Int? = nil) throws {
        directory = try TestPaths.temporaryDirectory()
        socketPath = directory.appendingPathComponent("clamd.sock").path
        self.tcpPort = try tcpPort ?? FreePort.next()
        let config = """
            Foreground yes
            LocalSocket \(socketPath)
            LocalSocketMode 600
            TCPSocket \(self.tcpPort)
            TCPAddr 127.0.0.1
            DatabaseDirectory \(signatures.path)
            TemporaryDirectory \(directory.path)
            LogFile \(directory.path)/clamd.log
            PidFile \(directory.path)/clamd.pid
            AlertExceedsMax yes
            StreamMaxLength 25M
            MaxThreads 4
            IdleTimeout 30
            SelfCheck 3600
            """
        let configURL = directory.appendingPathComponent("clamd.conf")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/clamd")
        process.arguments = ["--config-file=\(configURL.path)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Starts clamd and waits until it answers PING on its socket.
    static func start(signatures: URL, tcpPort: Int? = nil) async throws -> ClamdProcess {
        let clamd = try ClamdProcess(signatures: signatures, tcpPort: tcpPort)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard clamd.process.isRunning else { throw TestFailure("clamd exited: \(clamd.log)") }
            if clamd.ping() { return clamd }
            try await Task.sleep(for: .milliseconds(100))
        }
        clamd.stop()
        throw TestFailure("clamd did not answer: \(clamd.log)")
    }

    var log: String { (try? String(contentsOf: directory.appendingPathComponent("clamd.log"), encoding: .utf8)) ?? "" }

    /// PING over the unix socket (plain POSIX: a test helper off the gateway's code).
    func ping() -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8CString)
        guard path.count <= MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in path.withUnsafeBytes { raw.copyMemory(from: $0) } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return false }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = "zPING\0".withCString { send(descriptor, $0, 6, 0) }
        var reply = [UInt8](repeating: 0, count: 16)
        let count = recv(descriptor, &reply, reply.count, 0)
        return count >= 4 && String(decoding: reply[..<4], as: UTF8.self) == "PONG"
    }

    /// SIGKILL, as abrupt as a crash, and waits for the exit.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
