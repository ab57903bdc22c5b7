import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct ProblemResponseTests {
    private func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        let data = Data(buffer.readableBytesView)
        let object = try JSONSerialization.jsonObject(with: data)
        return try #require(object as? [String: Any], "the body must be a JSON object")
    }

    @Test func bodyIsAProblemDocument() throws {
        let problem = ProblemResponse(status: .badRequest, slug: "ambiguous-framing", detail: "both Content-Length and Transfer-Encoding are present")
        let body = problem.body(requestId: "0123456789abcdef0123456789abcdef", allocator: ByteBufferAllocator())
        let document = try json(body)
        #expect(document["type"] as? String == "https://portcullis.dev/problems/ambiguous-framing")
        #expect(document["title"] as? String == "Bad Request")
        #expect(document["status"] as? Int == 400)
        #expect(document["detail"] as? String == "both Content-Length and Transfer-Encoding are present")
        #expect(document["request_id"] as? String == "0123456789abcdef0123456789abcdef")
        #expect(document.count == 5)
    }

    @Test func statusAndTitleFollowTheStatus() throws {
        let problem = ProblemResponse(status: .uriTooLong, slug: "uri-too-long", detail: "too long")
        let document = try json(problem.body(requestId: "r", allocator: ByteBufferAllocator()))
        #expect(document["status"] as? Int == 414)
        #expect(document["title"] as? String == "URI Too Long")
    }

    @Test func detailIsEscaped() throws {
        let detail = "quote \" backslash \\ slash / newline \n return \r tab \t bell \u{07} nul \u{00} esc \u{1B} unit \u{1F} del \u{7F} accent é emoji 🚀"
        let problem = ProblemResponse(status: .badGateway, slug: "upstream", detail: detail)
        let body = problem.body(requestId: "id\"with\\quote", allocator: ByteBufferAllocator())
        let text = String(buffer: body)
        #expect(text.contains(#"quote \" backslash \\ slash / newline \n return \r tab \t bell \u0007 nul \u0000 esc \u001b unit \u001f"#))
        #expect(!text.utf8.contains { $0 < 0x20 && $0 != 0x0A }, "no raw control characters inside the JSON")
        let document = try json(body)
        #expect(document["detail"] as? String == detail)
        #expect(document["request_id"] as? String == "id\"with\\quote")
    }

    @Test func slugIsPartOfTheType() throws {
        let problem = ProblemResponse(status: .notFound, slug: "no-route", detail: "")
        let document = try json(problem.body(requestId: "r", allocator: ByteBufferAllocator()))
        #expect(document["type"] as? String == "https://portcullis.dev/problems/no-route")
        #expect(document["detail"] as? String == "")
    }

    @Test func headDescribesTheBody() {
        let problem = ProblemResponse(status: .badRequest, slug: "bad-request", detail: "more than one Host header")
        let body = problem.body(requestId: "abc", allocator: ByteBufferAllocator())
        let head = problem.head(version: .http1_1, requestId: "abc", bodyLength: body.readableBytes, close: false)
        #expect(head.status == .badRequest)
        #expect(head.version == .http1_1)
        #expect(head.headers["content-type"] == ["application/problem+json"])
        #expect(head.headers["content-length"] == [String(body.readableBytes)])
        #expect(head.headers["x-request-id"] == ["abc"])
        #expect(head.headers["connection"].isEmpty)
    }

    @Test func headSaysConnectionCloseWhenAsked() {
        let problem = ProblemResponse(status: .badRequest, slug: "bad-request", detail: "x")
        let head = problem.head(version: .http1_1, requestId: "abc", bodyLength: 10, close: true)
        #expect(head.headers["connection"] == ["close"])
    }

    @Test func headCarriesExtraHeadersAndAnswersHTTP10InKind() {
        let problem = ProblemResponse(status: .methodNotAllowed, slug: "connect-not-allowed", detail: "x", extraHeaders: [("Allow", "GET, HEAD")])
        let head = problem.head(version: .http1_0, requestId: "abc", bodyLength: 10, close: true)
        #expect(head.version == .http1_0)
        #expect(head.status.code == 405)
        #expect(head.headers["allow"] == ["GET, HEAD"])
    }
}
