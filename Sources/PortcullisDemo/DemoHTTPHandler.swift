import Crypto
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Serves the demo's HTTP endpoints on one connection.
///
/// Sits after NIO's server pipeline (`HTTPServerPipelineHandler` included), which hands
/// us one request at a time and holds back pipelined ones until our `.end` is written.
/// Bodies are consumed as they stream in and never buffered; every response carries
/// `X-Demo-Instance`.
final class DemoHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The request being received: known from its head, body folded in chunk by chunk.
    private struct InFlightRequest {
        var head: HTTPRequestHead
        var target: DemoRequestTarget
        var route: DemoRoute
        var bodyBytes = 0
        var bodyHash: SHA256?
    }

    private let instanceName: String
    private var requestsOnConnection = 0
    private var request: InFlightRequest?

    // A response still being produced after the request ended.
    private var slowTimer: Scheduled<Void>?
    private var download: DemoDownloadWriter?
    private var downloadKeepAlive = true

    init(instanceName: String) {
        self.instanceName = instanceName
    }

    // MARK: Inbound events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.requestsOnConnection += 1
            let target = DemoRequestTarget(uri: head.uri)
            let route = DemoRoute(head: head, target: target, isFirstRequestOnConnection: self.requestsOnConnection == 1)
            self.request = InFlightRequest(head: head, target: target, route: route, bodyHash: route.hashesBody ? SHA256() : nil)
            if head.version == .http1_1, head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                // curl waits a second for this before sending large bodies.
                var headers = HTTPHeaders()
                headers.add(name: "X-Demo-Instance", value: self.instanceName)
                context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue, headers: headers))), promise: nil)
            }

        case .body(let buffer):
            self.request?.bodyBytes += buffer.readableBytes
            if self.request?.bodyHash != nil {
                buffer.withUnsafeReadableBytes { bytes in
                    self.request?.bodyHash?.update(bufferPointer: bytes)
                }
            }

        case .end:
            guard let request = self.request else { return }
            self.request = nil
            self.respond(context: context, to: request)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.continueDownload(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.abandonResponse()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.abandonResponse()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A declined WebSocket upgrade is reported here just before the request itself is
        // handed to us as plain HTTP: not a reason to drop the connection.
        if error is NIOWebSocketUpgradeError {
            return
        }
        // Decoding errors were already answered with a 400 by NIO's error handler; anything else is fatal.
        context.close(promise: nil)
    }

    // MARK: Routing

    private func respond(context: ChannelHandlerContext, to request: InFlightRequest) {
        let head = request.head
        let path = request.target.path

        switch request.route {
        case .index:
            self.send(context: context, head: head, status: .ok, contentType: .html, body: DemoPages.index(instance: self.instanceName))

        case .api:
            // /api/session sets a cookie the way many applications do: without Secure, HttpOnly
            // or SameSite (the gateway's header policy adds them).
            var extra: HTTPHeaders = [:]
            if path == "/api/session" { extra.add(name: "Set-Cookie", value: "session=demo-\(self.instanceName); Path=/") }
            self.sendJSON(
                context: context,
                head: head,
                status: .ok,
                "{\"message\":\"hello from the demo application\",\"path\":\(DemoJSON.string(path)),\"instance\":\(DemoJSON.string(self.instanceName))}",
                extraHeaders: extra
            )

        case .apiAction(let message):
            self.sendJSON(context: context, head: head, status: .ok, "{\"message\":\(DemoJSON.string(message)),\"path\":\(DemoJSON.string(path)),\"instance\":\(DemoJSON.string(self.instanceName))}")

        case .upload:
            let digest = request.bodyHash.map { DemoJSON.hex($0.finalize()) } ?? ""
            let contentType = head.headers.first(name: "content-type")
            self.sendJSON(
                context: context,
                head: head,
                status: .ok,
                "{\"bytes\":\(request.bodyBytes),\"sha256\":\(DemoJSON.string(digest)),\"content_type\":\(DemoJSON.optionalString(contentType))}"
            )

        case .echo:
            let headers = head.headers.map { "[\(DemoJSON.string($0.name)),\(DemoJSON.string($0.value))]" }.joined(separator: ",")
            self.sendJSON(
                context: context,
                head: head,
                status: .ok,
                "{\"method\":\(DemoJSON.string(head.method.rawValue)),\"uri\":\(DemoJSON.string(head.uri)),\"version\":\(DemoJSON.string("HTTP/\(head.version.major).\(head.version.minor)")),\"headers\":[\(headers)],\"body_bytes\":\(request.bodyBytes)}"
            )

        case .adult:
            self.send(context: context, head: head, status: .ok, contentType: .html, body: DemoPages.adult(instance: self.instanceName, path: path))

        case .download(let bytes):
            self.startDownload(context: context, head: head, bytes: bytes)

        case .slow(let milliseconds):
            // Scheduled on the connection's event loop: waiting never blocks it.
            self.slowTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                self.slowTimer = nil
                self.sendJSON(context: context, head: head, status: .ok, "{\"waited_ms\":\(milliseconds)}")
            }

        case .status(let status):
            self.sendJSON(
                context: context,
                head: head,
                status: status,
                "{\"status\":\(status.code),\"reason\":\(DemoJSON.string(status.reasonPhrase))}"
            )

        case .health:
            self.send(context: context, head: head, status: .ok, contentType: .text, body: "ok\n")

        case .webSocketRefused(let status, let reason):
            var extra = HTTPHeaders()
            if status == .upgradeRequired {
                extra.add(name: "Upgrade", value: "websocket")
            }
            self.sendJSON(context: context, head: head, status: status, errorJSON(reason, path: path), extraHeaders: extra)

        case .methodNotAllowed(let allowed):
            var extra = HTTPHeaders()
            extra.add(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            self.sendJSON(context: context, head: head, status: .methodNotAllowed, errorJSON("method not allowed", path: path), extraHeaders: extra)

        case .badRequest(let reason):
            self.sendJSON(context: context, head: head, status: .badRequest, errorJSON(reason, path: path))

        case .notFound:
            self.sendJSON(context: context, head: head, status: .notFound, errorJSON("not found", path: path))
        }
    }

    private func errorJSON(_ message: String, path: String) -> String {
        "{\"error\":\(DemoJSON.string(message)),\"path\":\(DemoJSON.string(path))}"
    }

    // MARK: Writing responses

    private enum ContentType: String {
        case html = "text/html; charset=utf-8"
        case json = "application/json"
        case text = "text/plain; charset=utf-8"
    }

    private func sendJSON(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, _ json: String, extraHeaders: HTTPHeaders = [:]) {
        // Trailing newline so curl output ends cleanly; still valid JSON.
        self.send(context: context, head: head, status: status, contentType: .json, body: json + "\n", extraHeaders: extraHeaders)
    }

    /// Writes a complete response with a Content-Length body (none for HEAD, 204 and 304).
    private func send(
        context: ChannelHandlerContext,
        head: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: ContentType,
        body: String,
        extraHeaders: HTTPHeaders = [:]
    ) {
        var headers = extraHeaders
        let hasBody = status.mayHaveResponseBody
        if hasBody {
            headers.add(name: "Content-Type", value: contentType.rawValue)
            // HEAD advertises the length a GET would get.
            headers.add(name: "Content-Length", value: String(body.utf8.count))
        }
        self.writeHead(context: context, request: head, status: status, headers: headers)
        if hasBody && head.method != .HEAD {
            let buffer = context.channel.allocator.buffer(string: body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        self.writeEnd(context: context, keepAlive: head.isKeepAlive)
    }

    private func writeHead(context: ChannelHandlerContext, request: HTTPRequestHead, status: HTTPResponseStatus, headers: HTTPHeaders) {
        var headers = headers
        headers.add(name: "X-Demo-Instance", value: self.instanceName)
        // What many frameworks send by default: it tells an attacker what runs here (the
        // gateway's header policy removes both).
        headers.add(name: "Server", value: "portcullis-demo/1.0")
        headers.add(name: "X-Powered-By", value: "SwiftNIO")
        if !request.isKeepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let response = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(self.wrapOutboundOut(.head(response)), promise: nil)
    }

    private func writeEnd(context: ChannelHandlerContext, keepAlive: Bool) {
        let channel = context.channel
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: Download

    private func startDownload(context: ChannelHandlerContext, head: HTTPRequestHead, bytes: Int) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        headers.add(name: "Content-Length", value: String(bytes))
        self.writeHead(context: context, request: head, status: .ok, headers: headers)
        guard head.method != .HEAD, bytes > 0 else {
            self.writeEnd(context: context, keepAlive: head.isKeepAlive)
            return
        }
        context.flush()
        self.download = DemoDownloadWriter(totalBytes: bytes)
        self.downloadKeepAlive = head.isKeepAlive
        self.continueDownload(context: context)
    }

    private func continueDownload(context: ChannelHandlerContext) {
        guard let download = self.download, download.resume(context: context) else { return }
        // Cleared before writing .end so a writability event fired by that write finds nothing to do.
        self.download = nil
        self.writeEnd(context: context, keepAlive: self.downloadKeepAlive)
    }

    private func abandonResponse() {
        self.slowTimer?.cancel()
        self.slowTimer = nil
        self.download = nil
    }
}

@available(*, unavailable)
extension DemoHTTPHandler: Sendable {}
