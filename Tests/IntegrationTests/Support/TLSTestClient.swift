import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An HTTPS/1.1 client for tests: one request per connection, so one handshake per request, and
/// which of the expected leaf certificates the server presented (pinned: any other one fails).
enum TLSTestClient {
    struct Answer: Sendable {
        var response: TestResponse
        /// The index in `leaves` of the certificate the handshake got.
        var leaf: Int
    }

    static let context: NIOSSLContext = try! NIOSSLContext(configuration: .makeClientConfiguration())

    static func get(port: Int, path: String, leaves: [NIOSSLCertificate], timeout: TimeAmount = .seconds(15)) async throws -> Answer {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: TestResponse.self)
        let presented = NIOLockedValueBox<Int?>(nil)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: "localhost") { chain, verdict in
                            let index = chain.first.flatMap { leaves.firstIndex(of: $0) }
                            presented.withLockedValue { $0 = index }
                            verdict.succeed(index == nil ? .failed : .certificateVerified)
                        }
                        try channel.pipeline.syncOperations.addHandler(tls)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "localhost:\(port)")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(TestFailure("no response within \(timeout)")) }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let response = try await promise.futureResult.get()
        guard let leaf = presented.withLockedValue({ $0 }) else { throw TestFailure("no certificate seen") }
        return Answer(response: response, leaf: leaf)
    }
}
