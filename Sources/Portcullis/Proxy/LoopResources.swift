/// What each event loop owns for itself: its upstream pool and its request-id generator.
/// Created once per loop at start; handed to every connection accepted on that loop.
final class LoopResources {
    let pool: UpstreamPool
    let requestIds = RequestIdGenerator()

    init(pool: UpstreamPool) {
        self.pool = pool
    }
}
