import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Portcullis

@Suite struct UploadInspectorTests {
    @Test func boundaryAndFileNamesAreRead() {
        #expect(UploadInspector.multipartBoundary("multipart/form-data; boundary=abc") == "abc")
        #expect(UploadInspector.multipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(UploadInspector.multipartBoundary("multipart/mixed; boundary=abc") == nil)
        #expect(UploadInspector.multipartBoundary("text/plain") == nil)
        #expect(UploadInspector.fileName(fromDisposition: "form-data; name=\"photo\"; filename=\"cat.png\"") == "cat.png")
        #expect(UploadInspector.fileName(fromDisposition: "form-data; name=\"title\"") == nil)
    }

    @Test func aFormIsTakenApartIntoItsParts() throws {
        let body = "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: image/png\r\n\r\nfile body\r\n--B--\r\n"
        guard case .success(let parts) = UploadInspector.parts(of: RequestBody(memory: ByteBuffer(string: body), spoolPath: nil, size: body.utf8.count), boundary: "B") else {
            Issue.record("the form was not parsed")
            return
        }
        #expect(parts.count == 2)
        #expect(parts.map(\.fileName) == [nil, "a.txt"])
        #expect(parts.map(\.isFile) == [false, true])
        guard case .bytes(let file) = parts[1].content else { return }
        #expect(String(buffer: file) == "file body")
    }

    @Test func aFormCutOffInsideAPartIsMalformed() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nunfinished"
        guard case .failure = UploadInspector.parts(of: RequestBody(memory: ByteBuffer(string: body), spoolPath: nil, size: body.utf8.count), boundary: "B") else {
            Issue.record("a truncated form was accepted")
            return
        }
    }

    @Test func aMalformedFormGets400UploadMalformed() throws {
        let yaml = """
            uploads:
              - name: media
                match: { path_prefix: /upload/ }
                max_bytes: 1MiB
                allow_types: [image/png]
            """
        let rule = try #require(try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)], environment: [:]).uploads.rules.first)
        // A clamd that is never asked: the form is refused before anything is scanned.
        var config = ScannerConfig()
        config.engine = .clamd
        config.clamdAddresses = [.tcp(host: "127.0.0.1", port: 9)]
        let scanner = try UploadScanner(config: config, engine: ClamdClient(config: config, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test")), logger: Logger(label: "test"))
        defer { Task { await scanner.shutdown() } }
        let record = Quarantine.Record(time: Date(), requestId: "r", client: "127.0.0.1", route: "app", rule: "media", reason: "", fileName: nil, size: 0)
        let inspector = UploadInspector(rule: rule, scanner: scanner, record: record)
        let cases = [
            ("no boundary here", "multipart/form-data; boundary=B"),
            ("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\ncut off", "multipart/form-data; boundary=B"),
            ("--B--\r\n", "multipart/form-data; boundary=B"),
            ("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.exe\"\r\n\r\nMZ\r\n--B--\r\n", "multipart/form-data"),
        ]
        for (body, contentType) in cases {
            let verdict = inspector.inspect(RequestBody(memory: ByteBuffer(string: body), spoolPath: nil, size: body.utf8.count), contentType: contentType)
            guard case .malformed = verdict.finding else {
                Issue.record("\(body.debugDescription) gave \(verdict.finding)")
                continue
            }
            guard case .respond(let problem) = UploadScanPhase.answer(verdict, rule: rule, requestId: "r").1 else {
                Issue.record("a malformed form was not answered")
                continue
            }
            #expect(problem.status == .badRequest)
            #expect(problem.slug == "upload-malformed")
        }
    }

    /// Found by the fuzz target `multipart-upload`: multipart-kit 4.7.1 indexes a 128-entry table
    /// with each byte of a part's header name, so a byte above 0x7F there trapped and took the
    /// gateway down with it.
    @Test func aNonASCIIByteInAPartHeaderNameIsMalformedNotACrash() {
        let form = Array("--B\r\nCont".utf8) + [0xE2] + Array("ent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello\r\n--B--\r\n".utf8)
        guard case .failure(let problem) = UploadInspector.parts(of: RequestBody(memory: ByteBuffer(bytes: form), spoolPath: nil, size: form.count), boundary: "B") else {
            Issue.record("a part header name with a byte above 0x7F was accepted")
            return
        }
        #expect(problem == "the multipart/form-data body is malformed")
        // Non-ASCII bytes elsewhere (a UTF-8 file name, the content) are fine.
        let utf8 = Array("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"café.png\"\r\n\r\n".utf8) + [0x89, 0x50, 0xFF] + Array("\r\n--B--\r\n".utf8)
        guard case .success(let parts) = UploadInspector.parts(of: RequestBody(memory: ByteBuffer(bytes: utf8), spoolPath: nil, size: utf8.count), boundary: "B") else {
            Issue.record("a form with a UTF-8 file name was refused")
            return
        }
        #expect(parts.map(\.fileName) == ["café.png"])
        guard case .bytes(let content) = parts.first?.content else { return }
        #expect(Array(content.readableBytesView) == [0x89, 0x50, 0xFF])
    }

    /// Found by reviewing the fuzz target's invariant: a form whose boundary the gateway could not
    /// use was checked as one opaque body, while the application would take it apart.
    @Test func aFormWithoutAUsableBoundaryIsMalformed() {
        for contentType in ["multipart/form-data", "multipart/form-data; boundary=", "Multipart/Form-Data; boundary=\"\"", "multipart/form-data; boundary=caf\u{E9}",
                            "multipart/form-data; boundary=" + String(repeating: "b", count: 201)] {
            #expect(UploadInspector.multipartBoundary(contentType) == nil, "\(contentType)")
            #expect(UploadInspector.isFormData(contentType), "\(contentType)")
        }
        #expect(!UploadInspector.isFormData("multipart/mixed; boundary=x"))
        #expect(!UploadInspector.isFormData(nil))
    }

    @Test func clamdRepliesAreRead() {
        #expect(ClamdClient.result(of: "stream: OK") == .clean)
        #expect(ClamdClient.result(of: "1: stream: OK") == .clean)
        #expect(ClamdClient.result(of: "2: stream: Eicar-Test-Signature FOUND") == .infected(signature: "Eicar-Test-Signature"))
        #expect(ClamdClient.result(of: "stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND") == .notScanned(reason: "over the scanner's limits (Heuristics.Limits.Exceeded.MaxRecursion)"))
        #expect(ClamdClient.result(of: "INSTREAM size limit exceeded. ERROR") == .notScanned(reason: "clamd: INSTREAM size limit exceeded. ERROR"))
    }
}
