#if canImport(Glibc)
import Glibc

/// glibc keeps at most 7 freed blocks of each size per thread for quick reuse; an event loop that
/// answers hundreds of HTTP/2 streams per iteration frees far more than that between two
/// allocations of the same size, so most allocations took glibc's slow path (with consolidation
/// sweeps): 15 % of the CPU of an HTTP/2 request, 7.6 % with 1,024 (measured with
/// `PERF=1 PROTOCOL=h2 scripts/profile`). The cache size can only be set before the process
/// starts, through `GLIBC_TUNABLES`, so `portcullis run` sets it and executes itself again, once.
/// An operator's own `glibc.malloc.tcache_count` is left as it is.
enum MallocTuning {
    static let tunable = "glibc.malloc.tcache_count"
    static let count = 1024

    static func reexecuteWithLargerCacheIfNeeded() {
        let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) } ?? ""
        guard !current.contains(tunable) else { return }
        let value = (current.isEmpty ? "" : current + ":") + "\(tunable)=\(count)"
        setenv("GLIBC_TUNABLES", value, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Not reached unless exec failed: run as we are.
        unsetenv("GLIBC_TUNABLES")
        if !current.isEmpty { setenv("GLIBC_TUNABLES", current, 1) }
    }
}
#else
enum MallocTuning {
    static func reexecuteWithLargerCacheIfNeeded() {}
}
#endif
