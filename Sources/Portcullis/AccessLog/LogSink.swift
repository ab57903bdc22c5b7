#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The C calls by module, since `LogSink`'s own `write`, `close` and `open` shadow them.
private enum System {
    #if canImport(Glibc)
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
    static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, bytes, count) }
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
    #elseif canImport(Darwin)
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
    static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { Darwin.write(fd, bytes, count) }
    static func close(_ fd: Int32) { _ = Darwin.close(fd) }
    #endif
}

/// The file descriptor a `LogWriter` writes to. Opened at start-up; after that touched only on the
/// writer's single thread (writes, reopen, close run as its work items, one at a time), which is
/// what makes the unchecked `Sendable` sound.
final class LogSink: @unchecked Sendable {
    struct OpenError: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        var description: String { "cannot open the log file '\(path)': \(String(cString: strerror(errno)))" }
    }

    let destination: LogDestination
    private var fd: Int32
    private(set) var lastError: String = ""
    private var failing = false

    init(destination: LogDestination) throws {
        self.destination = destination
        switch destination {
        case .stdout: fd = STDOUT_FILENO
        case .stderr: fd = STDERR_FILENO
        case .file(let path): fd = try Self.openFile(path)
        }
    }

    var isOpen: Bool { fd >= 0 }

    /// O_APPEND: lines from this process and any other writer of the file never overwrite each
    /// other; 0640 (less the umask): readable by the log group, not by everyone.
    private static func openFile(_ path: String) throws -> Int32 {
        let fd = System.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw OpenError(path: path, errno: errno) }
        return fd
    }

    /// Writes the whole batch, blocking as long as the destination needs. False on an error
    /// (the rest of the batch is lost).
    func write(_ batch: ByteBuffer) -> Bool {
        let ok = batch.withUnsafeReadableBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let written = System.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    // Someone made the descriptor non-blocking (a shared terminal or pipe): wait for room.
                    var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, 1000)
                } else {
                    lastError = written < 0 ? String(cString: strerror(errno)) : "write returned 0"
                    return false
                }
            }
            return true
        }
        if ok { failing = false }
        return ok
    }

    /// True the first time it is asked after a success: one log message per run of failures.
    func takeFirstFailure() -> Bool {
        defer { failing = true }
        return !failing
    }

    /// For a file: opens the path again and switches to it. Returns the error, if any.
    func reopen() -> OpenError? {
        guard case .file(let path) = destination, fd >= 0 else { return nil }
        do {
            let fresh = try Self.openFile(path)
            System.close(fd)
            fd = fresh
            return nil
        } catch let error as OpenError {
            return error
        } catch {
            return nil
        }
    }

    func close() {
        if case .file = destination, fd >= 0 { System.close(fd) }
        fd = -1
    }
}
