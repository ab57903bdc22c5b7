import Foundation
import Testing

/// Upload scanning through a real clamd (INSTREAM over a unix socket and TCP), with failover
/// past a dead address and the rule's `on_scanner_error` when clamd is gone.
@Suite(.timeLimit(.minutes(3)))
struct ClamdScanTests {
    static func start(upstreamPort: Int, addresses: [String], clamd: ClamdProcess, signatures: URL, directory: URL, timeout: String = "10s") async throws -> GatewayProcess {
        let list = addresses.map { "\"\($0)\"" }.joined(separator: ", ")
        let scanner = """
            scanner:
              engine: clamd
              clamd: { addresses: [\(list)], connect_timeout: 1s, timeout: \(timeout) }
              memory_threshold: 64KiB
              spool_directory: \(directory.path)
              quarantine: { directory: \(directory.path)/quarantine }
            """
        let policy = ScanFixtures.policy() + """

              - name: lenient
                match: { path: /lenient }
                max_bytes: 1MiB
                on_scanner_error: allow
            """
        return try await GatewayProcess.start(Upstreams.config(endpoints: [upstreamPort], extra: scanner), policies: ["uploads.yaml": policy])
    }

    @Test func clamdBlocksEICARAndPassesCleanFilesFailingOverPastADeadAddress() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let signatures = try ScanFixtures.signatureDirectory(in: directory)
        let clamd = try await ClamdProcess.start(signatures: signatures)
        defer { clamd.stop() }
        let demo = try await Upstreams.demo()
        let dead = try FreePort.next()
        let gateway = try await Self.start(upstreamPort: demo.localPort, addresses: ["tcp://127.0.0.1:\(dead)", "unix:\(clamd.socketPath)"], clamd: clamd, signatures: signatures, directory: directory)
        defer { gateway.stop() }
        let base = "http://127.0.0.1:\(gateway.httpPort)"

        let png = try UploadScanTests.write(ScanFixtures.png, "cat.png", in: directory)
        let eicar = try UploadScanTests.write(ScanFixtures.eicar, "notes.txt", in: directory)
        let blocked = try UploadScanTests.curl(["-F", "photo=@\(png.path);type=image/png", "-F", "notes=@\(eicar.path)", "\(base)/upload"])
        #expect(blocked.status == 403, "\(blocked.body)")
        #expect((UploadScanTests.json(blocked.body)["detail"] as? String)?.contains("Test.EICAR") == true, "\(blocked.body)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("quarantine/\(ScanFixtures.sha256(ScanFixtures.eicar)).json").path))

        // A clean body over the memory threshold: spooled, streamed to clamd, forwarded whole.
        var bytes = ScanFixtures.png
        bytes += Array(repeating: 0x43, count: 300_000)
        let big = try UploadScanTests.write(bytes, "big.png", in: directory)
        for _ in 1...3 {  // pooled sessions carry one scan after another
            let clean = try UploadScanTests.curl(["-H", "Content-Type: image/png", "--data-binary", "@\(big.path)", "\(base)/upload"])
            #expect(clean.status == 200, "\(clean.body)")
            #expect(UploadScanTests.json(clean.body)["sha256"] as? String == ScanFixtures.sha256(bytes))
        }
        let exe = try UploadScanTests.curl(["--data-binary", "@\(ScanFixtures.testExecutable)", "\(base)/lenient"])
        #expect(exe.status == 403, "\(exe.body)")
        let metrics = try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_upload_scan_duration_seconds_count{engine=\"clamd\",result=\"clean\"} 4"), "\(metrics)")
        try await demo.stop()
    }

    @Test func clamdStoppedDeniesByDefaultAndPassesWhereTheRuleAllows() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let signatures = try ScanFixtures.signatureDirectory(in: directory)
        let clamd = try await ClamdProcess.start(signatures: signatures)
        defer { clamd.stop() }
        let upstream = try await RecordingUpstream.start()
        let gateway = try await Self.start(upstreamPort: upstream.port, addresses: ["tcp://127.0.0.1:\(clamd.tcpPort)"], clamd: clamd, signatures: signatures, directory: directory)
        defer { gateway.stop() }
        let base = "http://127.0.0.1:\(gateway.httpPort)"
        let text = try UploadScanTests.write(Array("a harmless note\n".utf8), "note.txt", in: directory)
        let arguments = ["-H", "Content-Type: text/plain", "--data-binary", "@\(text.path)"]
        #expect(try UploadScanTests.curl(arguments + ["\(base)/upload"]).status == 200)

        clamd.stop()
        let denied = try UploadScanTests.curl(arguments + ["\(base)/upload"])
        #expect(denied.status == 503, "\(denied.body) \(gateway.log.suffix(3000))")
        #expect(UploadScanTests.json(denied.body)["type"] as? String == "https://portcullis.dev/problems/scanner-unavailable")
        let before = upstream.receivedText.components(separatedBy: "POST /upload").count
        #expect(before == 2)  // only the request scanned before clamd stopped
        #expect(try UploadScanTests.curl(arguments + ["\(base)/lenient"]).status == 200)
        let metrics = try await TestHTTPClient.get(port: gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"media\",outcome=\"scanner_error\"} 1"))
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"lenient\",outcome=\"scanner_error\"} 1"))
        await upstream.stop()
    }

    /// A clamd that stops reading mid-stream (SIGSTOP, as a hung daemon): the upload gets 503 after
    /// the clamd timeout instead of holding a scan thread on writes that never drain, and the next
    /// upload, once clamd runs again, is scanned on a fresh connection.
    @Test func aClamdThatStopsReadingTimesOutWith503AndScanningResumes() async throws {
        let directory = try TestPaths.temporaryDirectory()
        let signatures = try ScanFixtures.signatureDirectory(in: directory)
        let clamd = try await ClamdProcess.start(signatures: signatures)
        defer { clamd.stop() }
        let upstream = try await RecordingUpstream.start()
        let gateway = try await Self.start(upstreamPort: upstream.port, addresses: ["unix:\(clamd.socketPath)"], clamd: clamd, signatures: signatures, directory: directory, timeout: "1s")
        defer { gateway.stop() }
        let base = "http://127.0.0.1:\(gateway.httpPort)"
        // 1,000,000 bytes: more than a unix socket's buffers hold, so the stream's writes block.
        let text = try UploadScanTests.write(Array(repeating: UInt8(ascii: "a"), count: 1_000_000), "big.txt", in: directory)
        let arguments = ["-H", "Content-Type: text/plain", "--data-binary", "@\(text.path)", "--max-time", "20"]
        #expect(try UploadScanTests.curl(arguments + ["\(base)/upload"]).status == 200)

        Foundation.kill(clamd.process.processIdentifier, SIGSTOP)
        let started = Date()
        let denied = try UploadScanTests.curl(arguments + ["\(base)/upload"])
        let waited = Date().timeIntervalSince(started)
        Foundation.kill(clamd.process.processIdentifier, SIGCONT)
        #expect(denied.status == 503, "\(denied.body) \(gateway.log.suffix(3000))")
        #expect(UploadScanTests.json(denied.body)["type"] as? String == "https://portcullis.dev/problems/scanner-unavailable")
        #expect(waited < 8, "answered after \(waited) s")
        #expect(try UploadScanTests.curl(arguments + ["\(base)/upload"]).status == 200)
        #expect(upstream.receivedText.components(separatedBy: "POST /upload").count == 3)  // the two scanned clean
        await upstream.stop()
    }
}
