import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The running gateway: event loops, listeners, the admin listener, and graceful drain.
/// Run it as a swift-service-lifecycle `Service`: SIGTERM/SIGINT stop accepting, in-flight
/// requests finish (up to `timeouts.drain`), then `run()` returns.
public final class Gateway: Service, Sendable {
    public let runtime: GatewayRuntime
    private let logger: Logger
    private let bound = Mutex<BoundState?>(nil)
    private let readiness: Readiness
    /// When the gateway was created, for the status page's uptime.
    private let startedAt = NIODeadline.now()

    struct BoundState {
        var group: MultiThreadedEventLoopGroup
        var listeners: [Channel]
        var admin: Channel?
        var quiesce: ServerQuiescingHelper
        var pools: [LoopResources]
        /// Certificate reload loops, one per TLS listener, and the policy watcher and SIGHUP handler.
        var reloads: [Task<Void, Never>]
        var policy: PolicyReloader?
        var accessLog: AccessLog?
        var auditLog: AuditLog?
        var uploadScanner: UploadScanner?
    }

    public init(config: GatewayConfig, logger: Logger) throws {
        self.runtime = try GatewayRuntime(config: config, logger: logger)
        self.logger = logger
        self.readiness = Readiness()
    }

    /// Addresses actually bound, listener name → port (useful when config asks for port 0).
    public var boundPorts: [String: Int] {
        bound.withLock { state in
            var ports: [String: Int] = [:]
            guard let state else { return ports }
            for (listener, channel) in zip(runtime.config.listeners, state.listeners) { ports[listener.name] = channel.localAddress?.port }
            if let admin = state.admin { ports["admin"] = admin.localAddress?.port }
            return ports
        }
    }

    /// Binds every listener. Separate from `run()` so tests and the CLI can report bind errors at once.
    public func start() async throws {
        let workers = runtime.config.workers ?? CPUAffinity.usableCPUCount()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: workers)
        let resources = try await makeLoopResources(group: group)
        runtime.redis?.warmUp(loops: resources.map(\.pool.eventLoop))
        var accessLog: AccessLog?
        var auditLog: AuditLog?
        var uploadScanner: UploadScanner?
        do {
            // Opening a log file blocks: at start-up only, off the event loops.
            let config = runtime.config
            let logger = self.logger
            (accessLog, auditLog) = try await NIOThreadPool.singleton.runIfActive {
                (try config.accessLog.map { try AccessLog(config: $0, logger: logger) }, try config.auditLog.map { try AuditLog(config: $0, logger: logger) })
            }
            for loopResources in resources {
                let transfer = UnsafeTransfer(loopResources)
                let loop = loopResources.pool.eventLoop
                try await loop.submit { [accessLog, auditLog] in
                    transfer.value.accessLogger = accessLog?.makeLogger(on: loop)
                    transfer.value.auditLogger = auditLog?.makeLogger(on: loop)
                }.get()
            }
            var policy: PolicyReloader?
            if let policyConfig = runtime.config.policies {
                let rateLimits = RateLimitPhase(store: runtime.rateLimitStore, shared: runtime.redis, logger: logger)
                // Signatures are read and compiled before the first request (blocking: off the loops).
                // A configured scanner must start; the default one is only needed by upload rules
                // (a policy with some is refused while no scanner runs).
                let scannerConfig = runtime.config.scanner ?? ScannerConfig()
                do {
                    uploadScanner = try await NIOThreadPool.singleton.runIfActive { [logger] in
                        try UploadScanner.make(config: scannerConfig, group: group, logger: logger)
                    }
                } catch where runtime.config.scanner == nil {
                    logger.warning("no upload scanner: the default one (libclamav with signatures/) did not start; upload rules will be refused", metadata: ["error": "\(error)"])
                }
                let geo = GeoPhase(store: runtime.geoStore, logger: logger)
                policy = try await PolicyReloader.start(
                    config: policyConfig, logger: logger, phases: PolicyPhases(rateLimit: rateLimits, uploadScan: uploadScanner.map { UploadScanPhase(scanner: $0) }, geo: geo),
                    audit: auditLog, publish: Gateway.publisher(for: resources))
                try GeoStartupCheck.verify(policy: await policy!.current, store: runtime.geoStore)
            }
            var state = try await bindListeners(group: group, resources: resources)
            state.accessLog = accessLog
            state.auditLog = auditLog
            state.uploadScanner = uploadScanner
            if accessLog != nil || auditLog != nil {
                // logrotate: SIGUSR1 reopens the log files after they were moved away.
                state.reloads.append(Task { [accessLog, auditLog] in
                    for await _ in await UnixSignalsSequence(trapping: .sigusr1) {
                        accessLog?.reopen()
                        auditLog?.reopen()
                    }
                })
            }
            if let geoStore = runtime.geoStore { state.reloads.append(Task { await geoStore.watch() }) }
            if let policy {
                state.policy = policy
                state.reloads.append(Task { await policy.watch() })
                state.reloads.append(Task { await policy.reloadOnSignals() })
                // Idle rate-limit keys are also dropped as requests arrive; this catches quiet spells.
                let store = runtime.rateLimitStore
                state.reloads.append(Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: 10_000_000_000)
                        store.expireIdleKeys(now: Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds))
                    }
                })
            }
            bound.withLock { $0 = state }
            readiness.markListening()
        } catch {
            // The quiescing helper died with bindListeners: it must not outlive the loops.
            await Gateway.stop(resources)
            await accessLog?.close()
            await auditLog?.close()
            await uploadScanner?.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// One pool, sweeper and id generator per event loop, created on that loop.
    private func makeLoopResources(group: MultiThreadedEventLoopGroup) async throws -> [LoopResources] {
        let config = runtime.config
        var all: [LoopResources] = []
        for loop in group.makeIterator() {
            let resources = try await loop.submit {
                let timeouts = config.timeouts
                let sweeper = ConnectionSweeper(shortestTimeout: min(timeouts.headerRead, timeouts.clientIdle, timeouts.upstreamResponse, timeouts.upstreamIdle))
                let pool = UpstreamPool(eventLoop: loop, groups: self.runtime.upstreamGroups, connectTimeout: timeouts.upstreamConnect, clock: sweeper)
                let metrics = LoopMetrics(routes: config.routes.count, upstreams: config.upstreams.count, listeners: config.listeners.count)
                let resources = LoopResources(pool: pool, sweeper: sweeper, metrics: metrics, recordsMetrics: config.admin?.metrics ?? false)
                sweeper.start(on: loop)
                return UnsafeTransfer(resources)
            }.get().value
            all.append(resources)
        }
        return all
    }

    /// Hands a new policy snapshot to every event loop, each on its own loop: requests read their
    /// loop's copy without a lock, and a request keeps the snapshot it started with.
    private static func publisher(for resources: [LoopResources]) -> @Sendable (PolicySet) -> Void {
        let loops = UnsafeTransfer(resources)
        return { set in
            for loopResources in loops.value {
                let target = UnsafeTransfer(loopResources)
                loopResources.pool.eventLoop.execute { target.value.policies = set }
            }
        }
    }

    /// The policy in force and its reload history; nil when the config names no policy directory.
    public var policyReloader: PolicyReloader? {
        bound.withLock { $0?.policy }
    }

    private func bindListeners(group: MultiThreadedEventLoopGroup, resources: [LoopResources]) async throws -> BoundState {
        let config = runtime.config
        let quiesce = ServerQuiescingHelper(group: group)
        let byLoop = UnsafeTransfer(Dictionary(uniqueKeysWithValues: resources.map { (ObjectIdentifier($0.pool.eventLoop), $0) }))
        let httpsPort = config.listeners.first { $0.tls != nil }?.address.port
        var listeners: [Channel] = []
        var providers: [TLSContextProvider] = []
        do {
            for (listenerIndex, listener) in config.listeners.enumerated() {
                let context = ProxyConnectionHandler.Listener(name: listener.name, index: listenerIndex, scheme: listener.tls == nil ? "http" : "https", serverNames: listener.serverNames)
                let pipeline = ConnectionPipeline(runtime: runtime, listener: context, resources: byLoop)
                let setUp: @Sendable (Channel) throws -> Void
                if let tls = listener.tls {
                    let provider = try await NIOThreadPool.singleton.runIfActive {
                        try TLSContextProvider(listener: listener.name, config: tls, http2: listener.http2.enabled, logger: self.logger)
                    }
                    providers.append(provider)
                    let http2 = listener.http2
                    setUp = { channel in
                        pipeline.countAccepted(channel)
                        try pipeline.addTLS(to: channel, provider: provider, http2: http2)
                    }
                } else if listener.redirectToHTTPS, let httpsPort {
                    setUp = { channel in
                        pipeline.countAccepted(channel)
                        try pipeline.addRedirect(to: channel, httpsPort: httpsPort)
                    }
                } else {
                    setUp = { channel in
                        pipeline.countAccepted(channel)
                        try pipeline.addHTTP1(to: channel)
                    }
                }
                let channel = try await makeBootstrap(group: group, quiesce: quiesce, setUp: setUp)
                    .bind(host: listener.address.host, port: listener.address.port).get()
                listeners.append(channel)
                logger.info("listening", metadata: [
                    "listener": "\(listener.name)", "address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                    "protocol": "\(listener.tls != nil ? (listener.http2.enabled ? "https (h2, http/1.1)" : "https (http/1.1)") : (listener.redirectToHTTPS ? "http → 308 to https" : "http"))",
                ])
            }
            var admin: Channel?
            if let adminConfig = config.admin {
                admin = try await AdminServer.bind(group: group, address: adminConfig.address, gateway: self)
                logger.info("admin listening", metadata: ["address": "\(admin!.localAddress.map { "\($0)" } ?? "?")"])
            }
            let reloads = providers.map { provider in
                Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: UInt64(provider.reloadInterval))
                        // File reads block: keep them off the event loops and the concurrency pool.
                        try? await NIOThreadPool.singleton.runIfActive { provider.reloadIfChanged() }
                    }
                }
            }
            return BoundState(group: group, listeners: listeners, admin: admin, quiesce: quiesce, pools: resources, reloads: reloads, policy: nil)
        } catch {
            for channel in listeners { try? await channel.close() }
            throw error
        }
    }

    private static func stop(_ resources: [LoopResources]) async {
        for loopResources in resources {
            let transfer = UnsafeTransfer(loopResources)
            try? await loopResources.pool.eventLoop.submit {
                transfer.value.sweeper.stop()
                transfer.value.pool.shutdown()
            }.get()
        }
    }

    private func makeBootstrap(group: MultiThreadedEventLoopGroup, quiesce: ServerQuiescingHelper, setUp: @escaping @Sendable (Channel) throws -> Void) -> ServerBootstrap {
        let runtime = self.runtime
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Each connection keeps its last receive buffer for the next read, idle or not: 512
            // bytes (a request head's usual size, growing when reads fill it) instead of NIO's 2 KiB
            // is 1.5 KiB less per idle keep-alive connection (scripts/bench, IDLE_CONNS=10000).
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                guard runtime.admitConnection() else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in runtime.releaseConnection() }
                return channel.eventLoop.makeCompletedFuture { try setUp(channel) }
            }
    }

    public func run() async throws {
        if bound.withLock({ $0 == nil }) { try await start() }
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        await withGracefulShutdownHandler {
            for await _ in stream { break }
        } onGracefulShutdown: {
            continuation.yield()
            continuation.finish()
        }
        try await shutdown()
    }

    /// Stops accepting, lets in-flight requests finish (up to `timeouts.drain`), then stops the loops.
    public func shutdown() async throws {
        guard let group = await drain() else { return }
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// Drains and releases everything bound to the loops (the quiescing helper completes a promise
    /// when it is released, so it must go while the loops still run), returning the group to stop.
    private func drain() async -> MultiThreadedEventLoopGroup? {
        guard let state = bound.withLock({ state -> BoundState? in
            let current = state
            state = nil
            return current
        }) else { return nil }
        readiness.markDraining()
        for reload in state.reloads { reload.cancel() }
        logger.info("draining", metadata: ["timeout": "\(Units.formatDuration(runtime.config.timeouts.drain))", "connections": "\(runtime.currentConnections)"])
        let drained = state.group.next().makePromise(of: Void.self)
        state.quiesce.initiateShutdown(promise: drained)
        let timeout = state.group.next().scheduleTask(in: .nanoseconds(runtime.config.timeouts.drain)) {
            drained.succeed(())
        }
        try? await drained.futureResult.get()
        timeout.cancel()
        try? await state.admin?.close()
        await Gateway.stop(state.pools)
        // Every loop's buffered lines are written before the loops stop.
        await state.accessLog?.close()
        await state.auditLog?.close()
        await state.uploadScanner?.shutdown()
        return state.group
    }

    /// What a scrape sees: every loop's data, copied on its own loop and added up, with the
    /// policy in force and the logs that are on; nil before the gateway started or after it stopped.
    struct GatheredMetrics {
        var data: MetricsData
        var policy: StatusReport.PolicyState?
        var logs: [(name: String, writer: LogWriter)]
        var uploadScanner: UploadScanner?
    }

    func gatherMetrics() async -> GatheredMetrics? {
        guard let (pools, policy, logs, uploadScanner) = bound.withLock({ state in
            state.map { (UnsafeTransfer($0.pools), $0.policy, [("access", $0.accessLog?.writer), ("audit", $0.auditLog?.writer)], $0.uploadScanner) }
        }) else { return nil }
        var total: MetricsData?
        for resources in pools.value {
            let transfer = UnsafeTransfer(resources)
            guard let data = try? await resources.pool.eventLoop.submit({ () -> UnsafeTransfer<MetricsData> in
                var data = transfer.value.metrics.data
                for group in data.idleUpstreamConnections.indices { data.idleUpstreamConnections[group] = transfer.value.pool.idleCount(group) }
                return UnsafeTransfer(data)
            }).get().value else { continue }
            if total == nil { total = data } else { total!.add(data) }
        }
        guard let total else { return nil }
        var policyState: StatusReport.PolicyState?
        if let policy {
            policyState = StatusReport.PolicyState(set: await policy.current, succeeded: await policy.succeeded, failed: await policy.failed, lastProblems: await policy.lastProblems)
        }
        return GatheredMetrics(data: total, policy: policyState, logs: logs.compactMap { name, writer in writer.map { (name, $0) } }, uploadScanner: uploadScanner)
    }

    /// The `/metrics` page.
    public func metricsText() async -> String {
        guard let gathered = await gatherMetrics() else { return "" }
        var renderer = MetricsRenderer(runtime: runtime)
        renderer.logs = gathered.logs
        renderer.policy = gathered.policy.map { ($0.set, $0.succeeded, $0.failed) }
        renderer.uploadScanner = gathered.uploadScanner
        return renderer.render(gathered.data)
    }

    /// `/status.json`, which the status page at the admin listener's `/` polls: the same figures.
    public func statusJSON() async -> String {
        guard let gathered = await gatherMetrics() else { return "{}\n" }
        let uptime = NIODeadline.now().uptimeNanoseconds - startedAt.uptimeNanoseconds
        return StatusReport(runtime: runtime, data: gathered.data, policy: gathered.policy, logs: gathered.logs, uptimeNanoseconds: uptime).json()
    }

    var readinessReport: ReadinessReport {
        var reasons: [String] = []
        if !readiness.isListening { reasons.append(readiness.isDraining ? "draining for shutdown" : "listeners not bound") }
        for group in runtime.upstreamGroups where group.healthyEndpointCount == 0 {
            reasons.append("upstream '\(group.name)' has no healthy endpoint")
        }
        // Redis failing degrades shared limits (they fall back per rule) but the gateway serves on.
        let degraded = [runtime.redis?.client.degradedReason].compactMap { $0 }
        return ReadinessReport(ready: reasons.isEmpty, reasons: reasons, degraded: degraded)
    }
}

/// Moves a value that is confined to one event loop across an API that demands `Sendable`.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
