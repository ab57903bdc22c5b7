#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// Why a scrape of `/metrics` failed, worded for the person running `portcullis top`.
public enum MetricsClientError: Error, CustomStringConvertible, Equatable {
    case badAddress(String)
    case unreachable(address: String, reason: String)
    case timedOut(address: String)
    case unauthorized(address: String, tokenGiven: Bool)
    case status(address: String, code: Int)
    case closedEarly(address: String)

    public var description: String {
        switch self {
        case .badAddress(let address):
            return "'\(address)' is not an address: give host:port (127.0.0.1:9090, [::1]:9090, localhost:9090)"
        case .unreachable(let address, let reason):
            return "cannot reach the admin listener at \(address) (\(reason)); is the gateway running, and is this its admin.address?"
        case .timedOut(let address):
            return "the admin listener at \(address) did not answer in time"
        case .unauthorized(let address, let tokenGiven):
            return tokenGiven
                ? "the admin listener at \(address) refused the token (401): check --token or PORTCULLIS_METRICS_TOKEN against admin.metrics_token"
                : "the admin listener at \(address) wants a token (401): pass --token or set PORTCULLIS_METRICS_TOKEN (admin.metrics_token in the config)"
        case .status(let address, let code):
            return "http://\(address)/metrics answered \(code)"
        case .closedEarly(let address):
            return "the admin listener at \(address) closed the connection before the page was complete"
        }
    }
}

/// One `GET /metrics` over HTTP/1.1 on NIO, with a bearer token when given: a connection per
/// scrape, closed after the response (a scrape a second needs no pooling).
public struct MetricsClient: Sendable {
    public let host: String
    public let port: Int
    public let path: String
    public let token: String?
    public let timeout: TimeAmount
    let group: any EventLoopGroup

    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// - Parameter address: `host:port`, `[v6]:port`, optionally with `http://` before it and a path after it.
    public init(address: String, token: String? = nil, timeout: TimeAmount = .seconds(5), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        var rest = Substring(address)
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        var path = "/metrics"
        if let slash = rest.firstIndex(of: "/") {
            let given = String(rest[slash...])
            if given != "/" { path = given }
            rest = rest[..<slash]
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { throw MetricsClientError.badAddress(address) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":"), !rest[..<colon].contains(":") else { throw MetricsClientError.badAddress(address) }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { throw MetricsClientError.badAddress(address) }
        self.host = String(host)
        self.port = port
        self.path = path
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.timeout = timeout
        self.group = group
    }

    /// The page's text; throws `MetricsClientError` for anything but a 200.
    public func fetch() async throws -> String {
        let address = self.address
        let promise = group.next().makePromise(of: (HTTPResponseStatus, ByteBuffer).self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw Self.describe(error, address: address)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: address)
        head.headers.add(name: "Accept", value: "text/plain; version=0.0.4")
        head.headers.add(name: "User-Agent", value: "portcullis-top/\(PortcullisVersion.string)")
        head.headers.add(name: "Connection", value: "close")
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(MetricsClientError.timedOut(address: address)) }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let (status, body): (HTTPResponseStatus, ByteBuffer)
        do {
            (status, body) = try await promise.futureResult.get()
        } catch let error as MetricsClientError {
            throw error
        } catch {
            throw Self.describe(error, address: address)
        }
        switch status.code {
        case 200: return String(buffer: body)
        case 401: throw MetricsClientError.unauthorized(address: address, tokenGiven: token != nil)
        default: throw MetricsClientError.status(address: address, code: Int(status.code))
        }
    }

    static func describe(_ error: any Error, address: String) -> MetricsClientError {
        if let error = error as? MetricsClientError { return error }
        if case ChannelError.connectTimeout = error { return .timedOut(address: address) }
        if let error = error as? NIOConnectionError {
            if error.dnsAAAAError != nil || error.dnsAError != nil, error.connectionErrors.isEmpty {
                return .unreachable(address: address, reason: "the host name does not resolve")
            }
            if let first = error.connectionErrors.first?.error { return describe(first, address: address) }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return .unreachable(address: address, reason: "connection refused")
            case ETIMEDOUT: return .timedOut(address: address)
            case ENETUNREACH, EHOSTUNREACH: return .unreachable(address: address, reason: "no route to the host")
            default: return .unreachable(address: address, reason: "errno \(error.errnoCode)")
            }
        }
        if error is SocketAddressError { return .unreachable(address: address, reason: "the host name does not resolve") }
        if error is ChannelError || error is HTTPParserError { return .closedEarly(address: address) }
        return .unreachable(address: address, reason: "\(error)")
    }
}

private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<(HTTPResponseStatus, ByteBuffer)>
    var status: HTTPResponseStatus = .ok
    var body = ByteBuffer()

    init(promise: EventLoopPromise<(HTTPResponseStatus, ByteBuffer)>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            promise.succeed((status, body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
