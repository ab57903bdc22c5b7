#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Every connection costs a descriptor (two when proxied), but many systems start a service with
/// a soft limit of 1,024 open files while `limits.max_connections` defaults to 10,000: past the
/// soft limit, accepts fail with EMFILE and the listener backs off instead of serving. The soft
/// limit can be raised up to the hard one without privileges, so `portcullis run` does so at
/// start (as Go's runtime and HAProxy do) and warns when even the hard limit is short.
enum DescriptorLimit {
    /// Descriptors kept for listeners, logs, policy files, Redis, clamd and upstream connections
    /// beyond one per client connection.
    static let reserve = 256

    /// Raises the soft RLIMIT_NOFILE to the hard one; returns (soft before, soft after).
    @discardableResult
    static func raise(maxConnections: Int, logger: Logger) -> (before: Int, after: Int)? {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = limit.rlim_cur
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let after = Int(clamping: limit.rlim_cur)
        if limit.rlim_cur != before {
            logger.info("raised the open-file limit", metadata: ["before": "\(before)", "after": "\(after)"])
        }
        // At least one per client connection (a proxied request holds a second, from the pool).
        let needed = maxConnections + reserve
        if after < needed {
            logger.warning("the open-file limit is below what limits.max_connections needs; connections past it fail to be accepted", metadata: [
                "limit": "\(after)", "max_connections": "\(maxConnections)", "needed": "\(needed)",
            ])
        }
        return (Int(clamping: before), after)
        #else
        return nil
        #endif
    }
}
