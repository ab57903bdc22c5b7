import NIOCore

/// What each event loop owns for itself: its upstream pool, its coarse clock and timeout sweeper,
/// and its request-id generator. Created once per loop at start; handed to every connection
/// accepted on that loop.
final class LoopResources {
    let pool: UpstreamPool
    let sweeper: ConnectionSweeper
    let requestIds = RequestIdGenerator()
    /// This loop's counters and histograms (read by a scrape, on this loop).
    let metrics: LoopMetrics
    /// False when nothing could read the metrics (no admin listener, or `admin.metrics: false`):
    /// requests then skip recording them.
    let recordsMetrics: Bool
    /// This loop's parts of the access and audit logs; nil when the log is off.
    var accessLogger: AccessLogger?
    var auditLogger: AuditLogger?
    /// This loop's copy of the current policy snapshot: read without a lock by every request
    /// (each loop is handed the new one on reload, on that loop).
    var policies: PolicySet = .empty
    private let eventLoop: EventLoop
    /// Upstream connections with writes waiting for the end of this loop iteration.
    private var pendingFlushes: [UpstreamConnection] = []
    private var flushing: [UpstreamConnection] = []
    /// HTTP/2 streams waiting for the end of this loop iteration to connect upstream.
    private var pendingConnects: [ProxyConnectionHandler] = []
    private var connecting: [ProxyConnectionHandler] = []
    private var endOfIterationScheduled = false

    init(pool: UpstreamPool, sweeper: ConnectionSweeper, metrics: LoopMetrics, recordsMetrics: Bool = true) {
        self.pool = pool
        self.metrics = metrics
        self.recordsMetrics = recordsMetrics
        self.eventLoop = pool.eventLoop
        self.sweeper = sweeper
        sweeper.pool = pool
    }

    /// Flushes `connection` once every ready client socket of this loop iteration has been read.
    /// The upstream usually shares the machine: one burst of writes wakes it once for many
    /// requests, where a flush per client read wakes (and yields the CPU to) it per request.
    func flushAtEndOfIteration(_ connection: UpstreamConnection) {
        pendingFlushes.append(connection)
        scheduleEndOfIteration()
    }

    /// Connects an HTTP/2 stream's request upstream once every ready socket of this loop iteration
    /// has been read. A client that opens a stream and resets it in the same read (rapid reset,
    /// CVE-2023-44487) has then cost a stream channel, not an upstream connection and request.
    func connectAtEndOfIteration(_ handler: ProxyConnectionHandler) {
        pendingConnects.append(handler)
        scheduleEndOfIteration()
    }

    private func scheduleEndOfIteration() {
        guard !endOfIterationScheduled else { return }
        endOfIterationScheduled = true
        eventLoop.execute(endOfIteration)
    }

    /// Created once, so scheduling it allocates nothing. Connects first: their writes join this flush.
    private lazy var endOfIteration: @Sendable () -> Void = { [unowned(unsafe) self] in
        if !self.pendingConnects.isEmpty {
            swap(&self.pendingConnects, &self.connecting)
            for handler in self.connecting { handler.connectAfterReads() }
            self.connecting.removeAll(keepingCapacity: true)
        }
        self.endOfIterationScheduled = false
        swap(&self.pendingFlushes, &self.flushing)
        for connection in self.flushing { connection.flush() }
        self.flushing.removeAll(keepingCapacity: true)
    }
}
