import Foundation
import Portcullis
import Testing

/// Upload scanning with libclamav in process, through the real listener: what the client gets,
/// what the application receives (nothing, for a blocked upload), what is quarantined and logged.
@Suite(.timeLimit(.minutes(3)))
struct UploadScanTests {
    struct Setup {
        var gateway: GatewayProcess
        var directory: URL
        var signatures: URL
        var audit: URL
        var base: String { "http://127.0.0.1:\(gateway.httpPort)" }
    }

    static func start(upstreamPort: Int, policy: String = ScanFixtures.policy(), scannerExtra: String = "", tls: String? = nil) async throws -> Setup {
        let directory = try TestPaths.temporaryDirectory()
        let signatures = try ScanFixtures.signatureDirectory(in: directory)
        let audit = directory.appendingPathComponent("audit.log")
        let config = Upstreams.config(endpoints: [upstreamPort], extra: ScanFixtures.scannerConfig(signatures: signatures, directory: directory, extra: scannerExtra) + "\naudit_log: { destination: \(audit.path) }")
        let gateway = try await GatewayProcess.start(config, tls: tls, policies: ["uploads.yaml": policy])
        return Setup(gateway: gateway, directory: directory, signatures: signatures, audit: audit)
    }

    /// curl's answer: status and body.
    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let result = try Command.curl(["-s", "-w", "\n%{http_code}"] + arguments)
        let text = result.standardOutput
        guard let split = text.lastIndex(of: "\n") else { return (0, text) }
        return (Int(text[text.index(after: split)...]) ?? 0, String(text[..<split]))
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    static func write(_ bytes: [UInt8], _ name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    static func waitFor(_ what: String, timeout: TimeInterval = 5, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out waiting for \(what)")
    }

    @Test func eicarAsARawBodyIsBlockedQuarantinedAndAudited() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let file = try Self.write(ScanFixtures.eicar, "eicar.txt", in: setup.directory)
        let answer = try Self.curl(["-H", "Content-Type: text/plain", "--data-binary", "@\(file.path)", "\(setup.base)/upload"])
        #expect(answer.status == 403)
        let problem = Self.json(answer.body)
        #expect(problem["type"] as? String == "https://portcullis.dev/problems/upload-infected")
        #expect((problem["detail"] as? String)?.contains("Test.EICAR") == true, "\(answer.body)")
        // Nothing reached the application.
        #expect(upstream.receivedBytes.isEmpty)

        let digest = ScanFixtures.sha256(ScanFixtures.eicar)
        let kept = setup.directory.appendingPathComponent("quarantine/\(digest)")
        #expect(try Data(contentsOf: kept) == Data(ScanFixtures.eicar))
        let record = Self.json(try String(contentsOf: kept.appendingPathExtension("json"), encoding: .utf8))
        #expect(record["request_id"] as? String == problem["request_id"] as? String)
        #expect(record["rule"] as? String == "media")
        #expect(record["route"] as? String == "app")
        #expect(record["client"] as? String == "127.0.0.1")
        #expect((record["reason"] as? String)?.hasPrefix("Test.EICAR") == true)
        #expect(record["size"] as? Int == ScanFixtures.eicar.count)
        let attributes = try FileManager.default.attributesOfItem(atPath: kept.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        try await Self.waitFor("the audit lines") {
            let audit = (try? String(contentsOf: setup.audit, encoding: .utf8)) ?? ""
            return audit.contains("\"event\":\"quarantine\"") && audit.contains("\"outcome\":\"infected\"")
        }
        let audit = try String(contentsOf: setup.audit, encoding: .utf8)
        #expect(audit.contains("\"sha256\":\"\(digest)\""))

        let metrics = try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"media\",outcome=\"infected\"} 1"), "\(metrics)")
        #expect(metrics.contains("portcullis_upload_scan_duration_seconds_count{engine=\"clamav\",result=\"infected\"} 1"))
        #expect(metrics.contains("portcullis_upload_quarantined_total 1"))
        await upstream.stop()
    }

    @Test func eicarInOneFormPartAmongCleanPartsIsBlocked() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let png = try Self.write(ScanFixtures.png, "cat.png", in: setup.directory)
        let eicar = try Self.write(ScanFixtures.eicar, "notes.txt", in: setup.directory)
        let answer = try Self.curl(["-F", "title=holiday", "-F", "photo=@\(png.path);type=image/png", "-F", "notes=@\(eicar.path);type=text/plain", "\(setup.base)/upload"])
        #expect(answer.status == 403)
        #expect((Self.json(answer.body)["detail"] as? String)?.contains("'notes.txt'") == true, "\(answer.body)")
        #expect(upstream.receivedBytes.isEmpty)
        await upstream.stop()
    }

    @Test func eicarInsideAZipIsBlocked() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let archive = setup.directory.appendingPathComponent("holiday.zip")
        try ScanFixtures.zip(["readme.txt": Array("just a readme\n".utf8), "eicar.com": ScanFixtures.eicar], at: archive)
        let answer = try Self.curl(["-F", "archive=@\(archive.path);type=application/zip", "\(setup.base)/upload"])
        #expect(answer.status == 403)
        #expect((Self.json(answer.body)["detail"] as? String)?.contains("Test.EICAR") == true, "\(answer.body)")
        #expect(upstream.receivedBytes.isEmpty)
        #expect(FileManager.default.fileExists(atPath: setup.directory.appendingPathComponent("quarantine/\(ScanFixtures.sha256(Array(try Data(contentsOf: archive))))").path))
        await upstream.stop()
    }

    @Test func eicarSplitAcrossChunksIsBlocked() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let head = Array("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
        let first = Array(ScanFixtures.eicar[..<30]), second = Array(ScanFixtures.eicar[30...])
        let chunks: [[UInt8]] = [
            head,
            Array("\(String(first.count, radix: 16))\r\n".utf8) + first + Array("\r\n".utf8),
            Array("\(String(second.count, radix: 16))\r\n".utf8) + second + Array("\r\n".utf8),
            Array("0\r\n\r\n".utf8),
        ]
        let result = try await RawConnection.exchange(port: setup.gateway.httpPort, byteChunks: chunks, pause: .milliseconds(50))
        #expect(result.statusCode == 403, "\(result.text)")
        #expect(result.body.contains("upload-infected"))
        #expect(upstream.receivedBytes.isEmpty)
        await upstream.stop()
    }

    @Test func aCleanPNGPassesByteForByte() async throws {
        let demo = try await Upstreams.demo()
        let setup = try await Self.start(upstreamPort: demo.localPort)
        defer { setup.gateway.stop() }
        // Larger than the memory threshold, so it is spooled and sent from the file.
        var bytes = ScanFixtures.png
        bytes += Array(repeating: 0x41, count: 300_000)
        let png = try Self.write(bytes, "cat.png", in: setup.directory)
        // Chunked from the client; the application gets a Content-Length.
        let answer = try Self.curl(["-H", "Content-Type: image/png", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(png.path)", "\(setup.base)/upload"])
        #expect(answer.status == 200, "\(answer.body)")
        let echoed = Self.json(answer.body)
        #expect(echoed["sha256"] as? String == ScanFixtures.sha256(bytes))
        #expect(echoed["bytes"] as? Int == bytes.count)
        let metrics = try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"media\",outcome=\"clean\"} 1"))
        try await demo.stop()
    }

    @Test func aCleanFormIsForwardedWholeWithAContentLength() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let boundary = "portcullis-test-boundary"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"cat.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += ScanFixtures.png + Array("\r\n--\(boundary)--\r\n".utf8)
        let file = try Self.write(body, "form.bin", in: setup.directory)
        let answer = try Self.curl(["-H", "Content-Type: multipart/form-data; boundary=\(boundary)", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)", "\(setup.base)/upload"])
        #expect(answer.status == 200)
        try await Self.waitFor("the whole body upstream") { upstream.receivedBytes.count >= body.count }
        let received = upstream.receivedBytes
        let headEnd = try #require(received.firstRange(of: Array("\r\n\r\n".utf8)))
        let head = String(decoding: received[..<headEnd.lowerBound], as: UTF8.self).lowercased()
        #expect(head.contains("content-length: \(body.count)"), "\(head)")
        #expect(!head.contains("transfer-encoding"))
        #expect(Array(received[headEnd.upperBound...]) == body)
        await upstream.stop()
    }

    @Test func anExecutableNamedCatPngIsRefusedByItsType() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let answer = try Self.curl(["-F", "photo=@\(ScanFixtures.testExecutable);filename=cat.png;type=image/png", "\(setup.base)/upload"])
        #expect(answer.status == 403)
        let problem = Self.json(answer.body)
        #expect(problem["type"] as? String == "https://portcullis.dev/problems/upload-type-refused")
        #expect((problem["detail"] as? String)?.contains("application/vnd.microsoft.portable-executable") == true, "\(answer.body)")
        #expect(upstream.receivedBytes.isEmpty)
        let metrics = try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"media\",outcome=\"type_refused\"} 1"))
        await upstream.stop()
    }

    @Test func aHashSignatureBlocksTheTestExecutableWhereAnyTypeIsAllowed() async throws {
        let upstream = try await RecordingUpstream.start()
        let policy = """
            uploads:
              - name: anything
                match: { path: /files }
                max_bytes: 1MiB
                blocked_status: 422
            """
        let setup = try await Self.start(upstreamPort: upstream.port, policy: policy)
        defer { setup.gateway.stop() }
        let answer = try Self.curl(["--data-binary", "@\(ScanFixtures.testExecutable)", "\(setup.base)/files"])
        #expect(answer.status == 422)
        // show_signature is off by default: the client is not told which signature matched.
        #expect((Self.json(answer.body)["detail"] as? String) == "the upload was refused by the malware scanner")
        #expect(upstream.receivedBytes.isEmpty)
        await upstream.stop()
    }

    @Test func anOversizeBodyIsRefusedBeforeItIsRead() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        // Content-Length over max_bytes: 413 at once, though no body byte was sent.
        let declared = try await RawConnection.exchange(port: setup.gateway.httpPort, chunks: ["POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n"], timeout: .seconds(3))
        #expect(declared.statusCode == 413, "\(declared.text)")
        #expect(declared.closedByPeer)
        #expect(declared.body.contains("body-too-large"))
        // Chunked: 413 as soon as the chunks pass max_bytes.
        let chunk = Array("80000\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 0x80000) + Array("\r\n".utf8)
        let chunked = try await RawConnection.exchange(
            port: setup.gateway.httpPort,
            byteChunks: [Array("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".utf8), chunk, chunk, chunk], pause: .milliseconds(20), timeout: .seconds(5))
        #expect(chunked.statusCode == 413, "\(chunked.text.prefix(300))")
        #expect(upstream.receivedBytes.isEmpty)
        let metrics = try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"media\",outcome=\"too_large\"} 2"), "\(metrics)")
        await upstream.stop()
    }

    @Test func aBodyOverTheMemoryThresholdIsSpooledToAPrivateFileThenDeleted() async throws {
        let demo = try await Upstreams.demo()
        let setup = try await Self.start(upstreamPort: demo.localPort)
        defer { setup.gateway.stop() }
        let total = 400_000
        let first = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
        let head = Array("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: \(total)\r\nConnection: close\r\n\r\n".utf8)
        let port = setup.gateway.httpPort
        // The body is sent in two halves a second apart: the first half is on disk meanwhile.
        let exchange = Task { try await RawConnection.exchange(port: port, byteChunks: [head + first, first], pause: .seconds(1), timeout: .seconds(10)) }
        let spooled = { () -> [String] in
            ((try? FileManager.default.contentsOfDirectory(atPath: setup.directory.path)) ?? []).filter { $0.hasPrefix("portcullis-body-") }
        }
        try await Self.waitFor("a spool file") { !spooled().isEmpty }
        let name = try #require(spooled().first)
        let attributes = try FileManager.default.attributesOfItem(atPath: setup.directory.appendingPathComponent(name).path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let result = try await exchange.value
        #expect(result.statusCode == 200, "\(result.text)")
        #expect(Self.json(result.body)["bytes"] as? Int == total)
        try await Self.waitFor("the spool file to go") { spooled().isEmpty }
        try await demo.stop()
    }

    /// Spooled bodies are scanned from the file through a map of the gateway's own: a signature
    /// near the end of 12 MiB (past where libclamav would age pages out) and a hash of the whole
    /// file must both be found there, and a clean body of the same size still passes.
    @Test func spooledBodiesAreScannedToTheirLastByte() async throws {
        let demo = try await Upstreams.demo()
        let policy = ScanFixtures.policy(maxBytes: "16MiB") + """

              - name: anything
                match: { path: /files }
                max_bytes: 1MiB
                show_signature: true
            """
        let setup = try await Self.start(upstreamPort: demo.localPort, policy: policy)
        defer { setup.gateway.stop() }
        var text = [UInt8](repeating: UInt8(ascii: "a"), count: 12 << 20)
        for index in stride(from: 79, to: text.count, by: 80) { text[index] = UInt8(ascii: "\n") }
        let clean = try Self.write(text, "clean.txt", in: setup.directory)
        let passed = try Self.curl(["-H", "Content-Type: text/plain", "--data-binary", "@\(clean.path)", "\(setup.base)/upload"])
        #expect(passed.status == 200)
        #expect(Self.json(passed.body)["sha256"] as? String == ScanFixtures.sha256(text))
        text.replaceSubrange((text.count - 1000)..<(text.count - 1000 + ScanFixtures.eicar.count), with: ScanFixtures.eicar)
        let infected = try Self.write(text, "late.txt", in: setup.directory)
        let late = try Self.curl(["-H", "Content-Type: text/plain", "--data-binary", "@\(infected.path)", "\(setup.base)/upload"])
        #expect(late.status == 403)
        #expect((Self.json(late.body)["type"] as? String) == "https://portcullis.dev/problems/upload-infected")
        #expect((Self.json(late.body)["detail"] as? String)?.contains("Test.EICAR") == true, "\(late.body)")

        let hashed = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try ScanFixtures.hdb(name: "Test.SpooledHash", matching: hashed).write(to: setup.signatures.appendingPathComponent("spooled.hdb"), atomically: true, encoding: .utf8)
        let file = try Self.write(hashed, "hashed.bin", in: setup.directory)
        let arguments = ["-H", "Content-Type: application/octet-stream", "--data-binary", "@\(file.path)", "\(setup.base)/files"]
        try await Self.waitFor("the new engine", timeout: 10) { try Self.curl(arguments).status == 403 }
        #expect((Self.json(try Self.curl(arguments).body)["detail"] as? String)?.contains("Test.SpooledHash") == true)
        try await demo.stop()
    }

    @Test func archivesOverTheScannerLimitsAreNotScannedAndNeverClean() async throws {
        let upstream = try await RecordingUpstream.start()
        let policy = ScanFixtures.policy() + """

              - name: lenient
                match: { path: /lenient }
                max_bytes: 1MiB
                on_scanner_error: allow
            """
        let setup = try await Self.start(upstreamPort: upstream.port, policy: policy, scannerExtra: "limits: { max_recursion: 3, max_file_size: 64KiB }")
        defer { setup.gateway.stop() }
        // Zips inside zips beyond the recursion limit; the innermost holds a harmless text.
        let deep = setup.directory.appendingPathComponent("deep.zip")
        try ScanFixtures.zip(["readme.txt": Array("nothing to see\n".utf8)], at: deep, nested: 6)
        let refused = try Self.curl(["-F", "archive=@\(deep.path);type=application/zip", "\(setup.base)/upload"])
        #expect(refused.status == 503, "\(refused.body)")
        #expect(Self.json(refused.body)["type"] as? String == "https://portcullis.dev/problems/scanner-unavailable")
        // A member over max_file_size is not scanned either. (libclamav measures a zip member by
        // what it takes in the archive: a member that compresses below the limit is scanned, by
        // clamscan too, so this one is incompressible.)
        let big = setup.directory.appendingPathComponent("big.zip")
        var generator = SystemRandomNumberGenerator()
        try ScanFixtures.zip(["big.bin": (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }], at: big)
        #expect(try Self.curl(["-F", "archive=@\(big.path);type=application/zip", "\(setup.base)/upload"]).status == 503)
        #expect(upstream.receivedBytes.isEmpty)
        // on_scanner_error: allow forwards what could not be scanned (counted as scanner_error).
        #expect(try Self.curl(["--data-binary", "@\(deep.path)", "\(setup.base)/lenient"]).status == 200)
        let metrics = try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_policy_decisions_total{kind=\"upload\",rule=\"lenient\",outcome=\"scanner_error\"} 1"))
        await upstream.stop()
    }

    @Test func aSignatureAddedWhileRunningIsInForceForTheNextRequest() async throws {
        let upstream = try await RecordingUpstream.start()
        let setup = try await Self.start(upstreamPort: upstream.port)
        defer { setup.gateway.stop() }
        let canary = Array("portcullis canary \(UUID().uuidString)\n".utf8)
        let file = try Self.write(canary, "canary.txt", in: setup.directory)
        let arguments = ["-H", "Content-Type: text/plain", "--data-binary", "@\(file.path)", "\(setup.base)/upload"]
        #expect(try Self.curl(arguments).status == 200)
        try ScanFixtures.ndb(name: "Test.Canary", matching: canary).write(to: setup.signatures.appendingPathComponent("canary.ndb"), atomically: true, encoding: .utf8)
        try await Self.waitFor("the new engine", timeout: 10) { try Self.curl(arguments).status == 403 }
        #expect((Self.json(try Self.curl(arguments).body)["detail"] as? String)?.contains("Test.Canary") == true)
        let metrics = try await TestHTTPClient.get(port: setup.gateway.adminPort, path: "/metrics").text
        #expect(metrics.contains("portcullis_clamav_engine_loads_total 2"))
        await upstream.stop()
    }

    @Test func uploadsOverHTTP2AreScannedToo() async throws {
        let demo = try await Upstreams.demo()
        let certs = try TestPaths.temporaryDirectory()
        try DevCertificate.issue(into: certs.path, leaves: [(stem: "localhost", names: ["localhost", "127.0.0.1"])])
        let setup = try await Self.start(upstreamPort: demo.localPort, tls: "tls: { certificates: [{ certificate: \(certs.path)/localhost.pem, key: \(certs.path)/localhost-key.pem }] }")
        defer { setup.gateway.stop() }
        let base = "https://localhost:\(setup.gateway.tlsPort)"
        let eicar = try Self.write(ScanFixtures.eicar, "eicar.txt", in: setup.directory)
        let blocked = try Self.curl(["--http2", "--cacert", "\(certs.path)/ca.pem", "-F", "doc=@\(eicar.path)", "\(base)/upload"])
        #expect(blocked.status == 403, "\(blocked.body)")
        var bytes = ScanFixtures.png
        bytes += Array(repeating: 0x42, count: 200_000)
        let png = try Self.write(bytes, "cat.png", in: setup.directory)
        let clean = try Self.curl(["--http2", "--cacert", "\(certs.path)/ca.pem", "-H", "Content-Type: image/png", "--data-binary", "@\(png.path)", "\(base)/upload"])
        #expect(clean.status == 200, "\(clean.body)")
        #expect(Self.json(clean.body)["sha256"] as? String == ScanFixtures.sha256(bytes))
        try await demo.stop()
    }
}
