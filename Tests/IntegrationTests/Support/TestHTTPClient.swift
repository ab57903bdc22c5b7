import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What a client saw: status, headers, body.
struct TestResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// The request headers the demo application's /echo saw, as (name, value) pairs.
    var echoedHeaders: [(String, String)] {
        (json["headers"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
    }

    func echoedHeader(_ name: String) -> String? {
        echoedHeaders.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A small HTTP/1.1 client on NIO for tests: one request per connection, bounded in time.
enum TestHTTPClient {
    static func get(port: Int, path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request(port: port, method: .GET, path: path, headers: headers, body: nil)
    }

    static func request(port: Int, method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]?, timeout: TimeAmount = .seconds(15)) async throws -> TestResponse {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: TestResponse.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.count)) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(TestFailure("no response within \(timeout)")) }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<TestResponse>
    var response = TestResponse(status: 0, headers: [], body: [])

    init(promise: EventLoopPromise<TestResponse>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.headers = head.headers.map { ($0.name, $0.value) }
        case .body(let buffer):
            response.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            promise.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TestFailure("connection closed before the response ended (status \(response.status))"))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // NIO's decoder reports a body cut short by the peer's close as an unexpected EOF.
        if response.status != 0, let parserError = error as? HTTPParserError, parserError == .invalidEOFState {
            promise.fail(TestFailure("connection closed before the response ended (status \(response.status))"))
        } else {
            promise.fail(error)
        }
        context.close(promise: nil)
    }
}
