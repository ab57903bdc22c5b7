import Foundation
import NIOCore
import NIOPosix

/// An application that resets some of its connections (RST, by SO_LINGER 0) at chosen points and
/// answers the rest like the demo's `/api` (a JSON body naming the path, `X-Demo-Instance`):
/// - a path ending in `/reset-head`: reset as soon as the request head is read, before any answer;
/// - `/reset-body`: a `200` head and 1 KiB of a 64 KiB body, then a reset;
/// - `/reset-upload`: reset after the first body bytes of the request arrive (the upload is cut).
final class ResettingUpstream: Sendable {
    let channel: Channel
    var port: Int { channel.localAddress!.port! }

    private init(channel: Channel) { self.channel = channel }

    static func start() async throws -> ResettingUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ResettingHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ResettingUpstream(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class ResettingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var pending: [UInt8] = []
    /// Body bytes of the current request still to skip (keep-alive: the gateway pools us).
    var bodyLeft = 0
    var resetOnBody = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        if resetOnBody {
            reset(context)
            return
        }
        while true {
            if bodyLeft > 0 {
                let skipped = min(bodyLeft, pending.count)
                pending.removeFirst(skipped)
                bodyLeft -= skipped
                if bodyLeft > 0 { return }
            }
            guard let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            let lines = head.split(separator: "\r\n")
            let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            let length = lines.dropFirst().compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            if path.hasSuffix("/reset-head") {
                reset(context)
                return
            }
            if path.hasSuffix("/reset-upload") {
                // Once body bytes have arrived, so the gateway is mid-upload when the reset comes.
                resetOnBody = true
                if !pending.isEmpty { reset(context) }
                return
            }
            bodyLeft = length
            if path.hasSuffix("/reset-body") {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nX-Demo-Instance: resetting\r\nContent-Length: 65536\r\n\r\n"
                var buffer = ByteBuffer(string: head)
                buffer.writeRepeatingByte(UInt8(ascii: "x"), count: 1024)
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
                // A moment later, so the head is with the gateway before the reset reaches it.
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(20)) { bound.value.0.reset(bound.value.1) }
                return
            }
            let body = "{\"path\":\"\(path)\"}"
            let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Demo-Instance: resetting\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
        }
    }

    func reset(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let channel = context.channel
        guard let provider = channel as? SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}
