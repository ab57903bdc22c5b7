import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Portcullis

@Suite struct LogWriterTests {
    static let logger = Logger(label: "test")

    private static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Waits (without blocking a loop) until the writer thread has caught up.
    private static func settle(_ writer: LogWriter, lines: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        for _ in 0..<500 where writer.writtenLines + writer.droppedLines < lines || writer.pendingBytes > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(writer.writtenLines + writer.droppedLines == lines, sourceLocation: sourceLocation)
    }

    @Test func fileOutputAppendsWithMode0640AndReopensForLogrotate() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("access.log")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let loop = group.next()

        let log = try AccessLog(config: AccessLogConfig(destination: .file(path.path)), logger: Self.logger)
        let logger = try await loop.submit { NIOLoopBound(log.makeLogger(on: loop), eventLoop: loop) }.get()
        let mode = try FileManager.default.attributesOfItem(atPath: path.path)[.posixPermissions] as? Int
        let mask = umask(0)
        umask(mask)
        #expect(mode == 0o640 & ~Int(mask))

        try await loop.submit {
            for index in 0..<3 { logger.value.log(AccessLogFormatTests.record(id: "first-\(index)")) }
        }.get()
        // Within the flush delay, with nothing else to push them out.
        try await Self.settle(log.writer, lines: 3)
        #expect(try Self.lines(path).count == 3)

        let rotated = directory.appendingPathComponent("access.log.1")
        try FileManager.default.moveItem(at: path, to: rotated)
        log.reopen()
        try await loop.submit {
            for index in 0..<2 { logger.value.log(AccessLogFormatTests.record(id: "second-\(index)")) }
        }.get()
        await log.close()

        let old = try Self.lines(rotated)
        let new = try Self.lines(path)
        #expect(old.count == 3 && old.allSatisfy { $0.contains("\"first-") })
        #expect(new.count == 2 && new.allSatisfy { $0.contains("\"second-") })
        #expect(log.writer.writtenLines == 5 && log.writer.droppedLines == 0)
        #expect(log.writer.writtenBytes == (old + new).reduce(0) { $0 + $1.utf8.count + 1 })
        // After close: counted, never written, never blocking.
        try await loop.submit { logger.value.log(AccessLogFormatTests.record(id: "late")) }.get()
        try await loop.submit { logger.value.flush() }.get()
        #expect(log.writer.droppedLines == 1)
    }

    @Test func aFileThatCannotBeOpenedFailsAtStartUp() {
        #expect(throws: (any Error).self) {
            _ = try LogWriter(destination: .file("/nonexistent-directory/access.log"), logger: Self.logger)
        }
    }

    /// A pipe nobody reads: the producer never waits, memory stays bounded, allowed lines are
    /// dropped and counted beyond the soft bound, blocked ones only beyond the hard bound, and
    /// every line is either written or counted.
    @Test func aStalledSinkDropsAndCountsButNeverBlocksTheLoop() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let softBound = 256 << 10
        let log = try AccessLog(config: AccessLogConfig(destination: .file("/proc/self/fd/\(writeEnd)")), logger: Self.logger, maxPendingBytes: softBound)
        close(writeEnd)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let loop = group.next()
        let logger = try await loop.submit { NIOLoopBound(log.makeLogger(on: loop), eventLoop: loop) }.get()

        let produced = 100_000
        let (elapsed, maxPending) = try await loop.submit { () -> (Duration, Int) in
            var maxPending = 0
            let clock = ContinuousClock()
            let start = clock.now
            for index in 0..<produced {
                logger.value.log(AccessLogFormatTests.record(id: "req-\(index)", status: index % 10 == 0 ? 429 : 200))
                maxPending = max(maxPending, log.writer.pendingBytes)
            }
            return (clock.now - start, maxPending)
        }.get()
        // About 30 MB of lines offered to a 64 KiB pipe: it had to be dropping, not waiting.
        #expect(elapsed < .seconds(5), "the producer took \(elapsed)")
        #expect(maxPending <= log.writer.hardLimitBytes + (64 << 10) + 4096)
        #expect(log.writer.droppedLines > produced / 2)
        #expect(log.writer.droppedPriorityLines < log.writer.droppedLines)

        // Someone starts reading: the backlog drains and the counts add up.
        let reader = Task.detached { () -> Int in
            var newlines = 0
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count <= 0 { break }
                newlines += chunk[0..<count].filter { $0 == 0x0A }.count
            }
            close(readEnd)
            return newlines
        }
        try await loop.submit { logger.value.flush() }.get()
        await log.close()
        let linesRead = await reader.value
        #expect(log.writer.writtenLines + log.writer.droppedLines == produced)
        #expect(linesRead == log.writer.writtenLines)
        #expect(log.writer.pendingBytes == 0)
    }
}
