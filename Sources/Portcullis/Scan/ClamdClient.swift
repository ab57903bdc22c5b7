import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Scans through clamd's `zINSTREAM` (chunks with 4-byte big-endian lengths, a zero-length chunk
/// to end), over TCP or a unix socket, on NIO. Connections are kept in an idle pool per address
/// inside clamd sessions (`zIDSESSION`), so a scan does not pay a connect; addresses are tried in
/// order, the next when one does not answer. Called from scan-pool threads (it waits there).
public final class ClamdClient: Scanner {
    public let engineName = "clamd"
    let addresses: [ClamdAddress]
    private let group: EventLoopGroup
    private let connectTimeout: TimeAmount
    private let timeout: TimeAmount
    private let poolSize: Int
    private let logger: Logger
    private let idle: Mutex<[[ClamdSession]]>

    /// Bytes per INSTREAM chunk (clamd's StreamMaxLength bounds the sum, not the chunk).
    static let chunkSize = 1024 * 1024

    public init(config: ScannerConfig, group: EventLoopGroup, logger: Logger) {
        self.addresses = config.clamdAddresses
        self.group = group
        self.connectTimeout = .nanoseconds(config.clamdConnectTimeout)
        self.timeout = .nanoseconds(config.clamdTimeout)
        self.poolSize = config.clamdPoolSize
        self.logger = logger
        self.idle = Mutex(Array(repeating: [], count: config.clamdAddresses.count))
    }

    public func scan(_ content: ScanContent, name: String?) -> ScanResult {
        var failures: [String] = []
        for index in addresses.indices {
            // A pooled session may have been closed by clamd (idle timeout): one fresh try then.
            for attempt in 0..<2 {
                let pooled = attempt == 0 ? idle.withLock { $0[index].popLast() } : nil
                var session: ClamdSession?
                do {
                    session = try pooled ?? connect(addresses[index])
                    let reply = try session!.instream(content, timeout: timeout)
                    release(session!, index: index)
                    return Self.result(of: reply)
                } catch {
                    session?.close()
                    if pooled != nil { continue }
                    failures.append("\(addresses[index]): \(error)")
                    break
                }
            }
        }
        logger.warning("no clamd answered", metadata: ["errors": "\(failures.joined(separator: "; "))"])
        return .notScanned(reason: "no clamd answered")
    }

    /// clamd's answer to INSTREAM: `stream: OK`, `stream: NAME FOUND` or `… ERROR`.
    static func result(of reply: String) -> ScanResult {
        var text = Substring(reply)
        // Inside a session replies carry the request's number: "1: stream: OK".
        if let colon = text.firstIndex(of: ":"), text[..<colon].allSatisfy(\.isNumber) { text = text[text.index(after: colon)...].drop { $0 == " " } }
        if text.hasPrefix("stream: ") { text = text.dropFirst(8) }
        if text == "OK" { return .clean }
        if text.hasSuffix(" FOUND") { return .fromSignature(String(text.dropLast(6))) }
        return .notScanned(reason: "clamd: \(text)")
    }

    private func connect(_ address: ClamdAddress) throws -> ClamdSession {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ClamdReplyHandler()) }
            }
        let channel: Channel
        switch address {
        case .tcp(let host, let port): channel = try bootstrap.connect(host: host, port: port).wait()
        case .unix(let path): channel = try bootstrap.connect(unixDomainSocketPath: path).wait()
        }
        let session = ClamdSession(channel: channel)
        try session.start()
        return session
    }

    private func release(_ session: ClamdSession, index: Int) {
        let kept = idle.withLock { pools -> Bool in
            guard pools[index].count < poolSize, session.channel.isActive else { return false }
            pools[index].append(session)
            return true
        }
        if !kept { session.close() }
    }

    public func shutdown() {
        let sessions = idle.withLock { pools -> [ClamdSession] in
            defer { for index in pools.indices { pools[index].removeAll() } }
            return pools.flatMap { $0 }
        }
        for session in sessions { session.close() }
    }
}

/// One connection to clamd inside a session (`zIDSESSION`), carrying one scan at a time.
final class ClamdSession: @unchecked Sendable {  // used by one scan thread at a time (taken from and returned to the pool)
    let channel: Channel

    init(channel: Channel) {
        self.channel = channel
    }

    func start() throws {
        try channel.writeAndFlush(ByteBuffer(string: "zIDSESSION\0")).wait()
    }

    /// Sends `content` and waits for clamd's reply (at most `timeout` for the whole scan).
    /// The whole stream is queued in one event-loop task with one flush: a body in memory goes as
    /// slices of its buffer, a spooled file as file regions (sendfile), so nothing is copied and
    /// the scan thread does not hop to the loop per chunk; the socket's writability paces it.
    func instream(_ content: ScanContent, timeout: TimeAmount) throws -> String {
        var file: NIOFileHandle?
        if case .file(let path, _) = content {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ClamdError.cannotRead(String(cString: strerror(errno))) }
            file = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        }
        let reply = channel.eventLoop.makePromise(of: String.self)
        // Past the timeout the session is closed too: a clamd that stops reading (hung, stopped)
        // would otherwise hold the queued writes, and this scan thread waiting on them, forever.
        let timer = channel.eventLoop.scheduleTask(in: timeout) { [channel] in
            reply.fail(ClamdError.timedOut)
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        let sent = channel.eventLoop.flatSubmit { [channel, file] () -> EventLoopFuture<Void> in
            do {
                try channel.pipeline.syncOperations.handler(type: ClamdReplyHandler.self).expect(reply)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return Self.writeStream(content, file: file, to: channel)
        }
        sent.whenComplete { [file] _ in try? file?.close() }
        do {
            try sent.wait()
        } catch {
            // clamd answers a stream over its StreamMaxLength and closes: that reply is the verdict.
            if let early = try? reply.futureResult.wait() { return early }
            // Every promise is completed (NIO checks): the session is gone, the caller tries anew.
            reply.fail(error)
            throw error
        }
        return try reply.futureResult.wait()
    }

    /// `zINSTREAM`, the chunks (each its 4-byte length, then its bytes), the zero-length end, on
    /// the channel's loop; the future is the last write's.
    private static func writeStream(_ content: ScanContent, file: NIOFileHandle?, to channel: Channel) -> EventLoopFuture<Void> {
        channel.write(ByteBuffer(string: "zINSTREAM\0"), promise: nil)
        var offset = 0
        let size = content.size
        while offset < size {
            let length = min(ClamdClient.chunkSize, size - offset)
            var prefix = channel.allocator.buffer(capacity: 4)
            prefix.writeInteger(UInt32(length), endianness: .big)
            channel.write(prefix, promise: nil)
            switch content {
            case .bytes(let buffer):
                channel.write(buffer.getSlice(at: buffer.readerIndex + offset, length: length)!, promise: nil)
            case .file:
                channel.write(FileRegion(fileHandle: file!, readerIndex: offset, endIndex: offset + length), promise: nil)
            }
            offset += length
        }
        var end = channel.allocator.buffer(capacity: 4)
        end.writeInteger(UInt32(0), endianness: .big)
        return channel.writeAndFlush(end)
    }

    func close() {
        channel.close(promise: nil)
    }
}

enum ClamdError: Error, CustomStringConvertible {
    case timedOut
    case closed
    case cannotRead(String)

    var description: String {
        switch self {
        case .timedOut: return "timed out"
        case .closed: return "connection closed"
        case .cannotRead(let reason): return "cannot read the spooled body: \(reason)"
        }
    }
}

/// Collects clamd's NUL-terminated replies and hands each to the scan waiting for it.
final class ClamdReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var pending: EventLoopPromise<String>?
    private var received: [UInt8] = []

    func expect(_ promise: EventLoopPromise<String>) {
        pending = promise
        received.removeAll(keepingCapacity: true)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while let byte = buffer.readInteger(as: UInt8.self) {
            if byte == 0 {
                let text = String(decoding: received, as: UTF8.self)
                received.removeAll(keepingCapacity: true)
                pending?.succeed(text)
                pending = nil
            } else {
                received.append(byte)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ClamdError.closed)
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ClamdReplyHandler: Sendable {}
