/// What each event loop owns for itself: its upstream pool, its coarse clock and timeout sweeper,
/// and its request-id generator. Created once per loop at start; handed to every connection
/// accepted on that loop.
final class LoopResources {
    let pool: UpstreamPool
    let sweeper: ConnectionSweeper
    let requestIds = RequestIdGenerator()

    init(pool: UpstreamPool, sweeper: ConnectionSweeper) {
        self.pool = pool
        self.sweeper = sweeper
        sweeper.pool = pool
    }
}
