import NIOCore
import NIOPosix

/// A few connections from one event loop to one Redis node, used in turn; commands are pipelined
/// on each. The commands of one event-loop tick go on one connection, so they leave in one write
/// (and Redis reads them in one read) instead of being spread over the pool. A connection is
/// opened when first needed (and again after it closed), with `AUTH` and `SELECT` sent ahead of
/// everything else on it. Confined to its event loop.
final class RedisNodePool {
    let endpoint: RedisEndpoint
    private let loop: EventLoop
    private let config: RedisConfig
    private let selectsDatabase: Bool
    private var channels: [Channel?]
    private var connecting: [EventLoopFuture<Channel>?]
    private var next = 0
    /// Whether a connection was chosen in this tick (`next` moves on at the start of the next).
    private var chosenThisTick = false

    init(endpoint: RedisEndpoint, loop: EventLoop, config: RedisConfig, selectsDatabase: Bool) {
        self.endpoint = endpoint
        self.loop = loop
        self.config = config
        self.selectsDatabase = selectsDatabase
        channels = Array(repeating: nil, count: config.poolSize)
        connecting = Array(repeating: nil, count: config.poolSize)
    }

    /// Sends encoded commands on one connection, in order (`ASKING` must precede its command on
    /// the same connection); one future per command.
    func send(_ commands: [ByteBuffer]) -> [EventLoopFuture<RedisReply>] {
        let index = connectionForThisTick()
        let promises = commands.map { _ in loop.makePromise(of: RedisReply.self) }
        if let channel = channels[index], channel.isActive {
            Self.write(commands, promises: promises, on: channel)
        } else {
            let pending = connecting[index] ?? connect(index)
            pending.whenComplete { result in
                switch result {
                case .success(let channel): Self.write(commands, promises: promises, on: channel)
                case .failure(let error):
                    let failure = self.connectFailure(error)
                    for promise in promises { promise.fail(failure) }
                }
            }
        }
        return promises.map(\.futureResult)
    }

    /// One command: the common case, without the arrays.
    func send(_ command: ByteBuffer) -> EventLoopFuture<RedisReply> {
        let index = connectionForThisTick()
        let promise = loop.makePromise(of: RedisReply.self)
        if let channel = channels[index], channel.isActive {
            channel.write(RedisConnectionHandler.Command(bytes: command, promise: promise), promise: nil)
        } else {
            let pending = connecting[index] ?? connect(index)
            pending.whenComplete { result in
                switch result {
                case .success(let channel): channel.write(RedisConnectionHandler.Command(bytes: command, promise: promise), promise: nil)
                case .failure(let error): promise.fail(self.connectFailure(error))
                }
            }
        }
        return promise.futureResult
    }

    private func connectionForThisTick() -> Int {
        if !chosenThisTick, channels.count > 1 {
            chosenThisTick = true
            next = (next + 1) % channels.count
            loop.assumeIsolated().execute { self.chosenThisTick = false }
        }
        return next
    }

    /// A connection that could not be opened, said shortly (for logs and `/readyz`).
    private func connectFailure(_ error: Error) -> RedisError {
        if let error = error as? RedisError { return error }
        if let error = error as? NIOConnectionError, let last = error.connectionErrors.last {
            return RedisError(.error, "cannot connect to Redis at \(endpoint): \(last.error)")
        }
        return RedisError(.error, "cannot connect to Redis at \(endpoint): \(error)")
    }

    private static func write(_ commands: [ByteBuffer], promises: [EventLoopPromise<RedisReply>], on channel: Channel) {
        for (bytes, promise) in zip(commands, promises) {
            channel.write(RedisConnectionHandler.Command(bytes: bytes, promise: promise), promise: nil)
        }
    }

    private func connect(_ index: Int) -> EventLoopFuture<Channel> {
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(config.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RedisConnectionHandler()) }
            }
        let opened: EventLoopFuture<Channel>
        switch endpoint {
        case .tcp(let host, let port):
            bootstrap = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
            opened = bootstrap.connect(host: host, port: port)
        case .unix(let path):
            opened = bootstrap.connect(unixDomainSocketPath: path)
        }
        let config = self.config
        let endpoint = self.endpoint
        let selectsDatabase = self.selectsDatabase
        let future = opened.flatMapThrowing { channel -> Channel in
            // The handshake is pipelined ahead of the first command; a refused AUTH closes the
            // connection, failing what was sent behind it.
            var handshake: [[String]] = []
            if let password = config.password {
                handshake.append(config.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            }
            if selectsDatabase, config.database != 0 { handshake.append(["SELECT", String(config.database)]) }
            for command in handshake {
                let promise = channel.eventLoop.makePromise(of: RedisReply.self)
                channel.write(RedisConnectionHandler.Command(bytes: RedisCommandEncoder.encode(command), promise: promise), promise: nil)
                promise.futureResult.whenSuccess { reply in
                    if case .error(let text) = reply {
                        channel.pipeline.fireErrorCaught(RedisError(.error, "Redis at \(endpoint) refused \(command[0]): \(text)"))
                    }
                }
            }
            return channel
        }
        connecting[index] = future
        future.whenComplete { [self] result in
            connecting[index] = nil
            guard case .success(let channel) = result else { return }
            channels[index] = channel
            channel.closeFuture.whenComplete { [self] _ in
                if channels[index] === channel { channels[index] = nil }
            }
        }
        return future
    }

    /// Closes every connection (at shutdown).
    func close() {
        for channel in channels { channel?.close(promise: nil) }
    }
}
