#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts the CPUs this process may run on, so `taskset -c 1 portcullis run` means one event loop.
public enum CPUAffinity {
    public static func usableCPUCount() -> Int {
        // Linux: the affinity mask as the kernel reports it ("Cpus_allowed:\tff,ffffffff").
        if let status = DiagnosticCollector.readTextFile("/proc/self/status") {
            for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed:") {
                let mask = line.dropFirst("Cpus_allowed:".count)
                let count = mask.reduce(0) { total, character in
                    total + (character.hexDigitValue?.nonzeroBitCount ?? 0)
                }
                if count > 0 { return count }
            }
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
