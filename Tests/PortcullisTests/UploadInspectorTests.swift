import NIOCore
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

    @Test func clamdRepliesAreRead() {
        #expect(ClamdClient.result(of: "stream: OK") == .clean)
        #expect(ClamdClient.result(of: "1: stream: OK") == .clean)
        #expect(ClamdClient.result(of: "2: stream: Eicar-Test-Signature FOUND") == .infected(signature: "Eicar-Test-Signature"))
        #expect(ClamdClient.result(of: "stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND") == .notScanned(reason: "over the scanner's limits (Heuristics.Limits.Exceeded.MaxRecursion)"))
        #expect(ClamdClient.result(of: "INSTREAM size limit exceeded. ERROR") == .notScanned(reason: "clamd: INSTREAM size limit exceeded. ERROR"))
    }
}
