import Foundation
import Testing

/// Bodies stream through with backpressure: 64 MiB each way without the gateway holding them.
@Suite(.timeLimit(.minutes(2)))
struct StreamingTests {
    /// Runs curl (a real client) and returns its standard output.
    private func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--show-error", "--max-time", "60"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    @Test func sixtyFourMebibytesEachWayWithBoundedMemory() async throws {
        let demo = try await Upstreams.demo()
        let gateway = try await GatewayProcess.start(Upstreams.config(endpoints: [demo.localPort], extra: "limits: { max_body_bytes: 128MiB }"))
        defer { gateway.stop() }
        #expect(try await TestHTTPClient.get(port: gateway.httpPort, path: "/api/warm").status == 200)
        let before = gateway.memoryKiB()

        // Upload: a 64 MiB file with a known digest.
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("upload.bin")
        var generator = SystemRandomNumberGenerator()
        var data = Data(count: 64 << 20)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = generator.next() }
        }
        try data.write(to: file)
        let expectedDigest = try curlDigest(file)

        let upload = try curl(["--data-binary", "@\(file.path)", "-H", "Content-Type: application/octet-stream", "http://127.0.0.1:\(gateway.httpPort)/upload"])
        let uploadJSON = try #require(try JSONSerialization.jsonObject(with: Data(upload.utf8)) as? [String: Any], "upload answer: \(upload)")
        #expect(uploadJSON["bytes"] as? Int == 64 << 20)
        #expect(uploadJSON["sha256"] as? String == expectedDigest)

        // Download: 64 MiB from the application, counted by curl.
        let size = try curl(["-o", "/dev/null", "-w", "%{http_code} %{size_download}", "http://127.0.0.1:\(gateway.httpPort)/download?bytes=\(64 << 20)"])
        #expect(size == "200 \(64 << 20)")

        let after = gateway.memoryKiB()
        let growthKiB = after.peak - before.resident
        #expect(growthKiB < 16 * 1024, "resident memory grew by \(growthKiB) KiB (before \(before.resident) KiB, peak \(after.peak) KiB)")
        try await demo.stop()
    }

    private func curlDigest(_ file: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix(64))
    }
}
