import Benchmark
import Foundation

#if os(Linux)
/// glibc's mallopt(3) (<malloc.h> is not part of the Glibc module). The malloc interposer
/// forwards to glibc's allocator, so the settings apply under it too.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
import NIOHTTP1
import Portcullis

// Applying the shipped security-header policy (policies/headers.yaml) to a typical upstream
// response head. Issue 5's target: ≤ 300 ns per response (release build).
//
// Each measured iteration applies the policy to one fresh response head. The heads of a batch
// (1,000 of them, `scalingFactor: .kilo`) are built before `startMeasurement()` and freed after
// `stopMeasurement()`, so the figures are the policy's own cost: no head construction, no
// copy-on-write of a shared template, no release of the result. The heads look like what the
// proxy hands the header phase: fields decoded into fresh (heap, not literal) Strings, in an
// array reserved the way `ResponseHeadBuilder` reserves it (the upstream's fields + 3).

/// The repository's `policies/` directory (PORTCULLIS_POLICIES overrides it).
private func policiesDirectory() -> String {
    if let directory = ProcessInfo.processInfo.environment["PORTCULLIS_POLICIES"], !directory.isEmpty {
        return directory
    }
    // This file is Benchmarks/Benchmarks/PolicyBenchmarks/PolicyBenchmarks.swift.
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(4)
    return components.joined(separator: "/") + "/policies"
}

private func loadPolicies() -> PolicySet {
    let directory = policiesDirectory()
    do {
        return try PolicyLoader.load(directory: directory)
    } catch {
        fatalError("cannot load the policies in \(directory): \(error)")
    }
}

/// A copy of `text` in its own heap storage, as the HTTP decoder produces it (a literal would be
/// immortal, and retaining it free, which a decoded field is not).
@inline(never)
private func decoded(_ text: String) -> String {
    String(decoding: Array(text.utf8), as: UTF8.self)
}

/// A typical application response: what an upstream sends for an HTML page, after hop-by-hop
/// stripping (no Connection, Keep-Alive, Transfer-Encoding).
private let upstreamFields: [(String, String)] = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", "5120"),
    ("Date", "Tue, 14 Apr 2026 09:30:12 GMT"),
    ("Server", "nginx/1.22.1"),
    ("X-Powered-By", "Express"),
    ("Set-Cookie", "session=3f9a1c7e5b2d4a6f8e0c; Path=/; Max-Age=3600"),
    ("ETag", "W/\"1400-6b1e9f3a\""),
]

@inline(never)
private func upstreamHead() -> HTTPHeaders {
    var headers = HTTPHeaders()
    headers.reserveCapacity(upstreamFields.count + 3)
    for (name, value) in upstreamFields {
        headers.add(name: decoded(name), value: decoded(value))
    }
    return headers
}

private func heads(_ count: Int) -> [HTTPHeaders] {
    (0..<count).map { _ in upstreamHead() }
}

let benchmarks: @Sendable () -> Void = {
    #if os(Linux)
    // A long-running proxy's heap is warm: freed memory is reused, not returned to the kernel.
    // Without this, glibc trims the heap after each batch is freed and the next batch pays a page
    // fault per fresh 4 KiB page (about 250 ns per iteration here), which no server pays.
    _ = glibcMallopt(-1, 256 << 20)  // M_TRIM_THRESHOLD
    _ = glibcMallopt(-2, 64 << 20)   // M_TOP_PAD
    _ = glibcMallopt(-3, 32 << 20)   // M_MMAP_THRESHOLD
    #endif
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000
    )

    rateLimitBenchmarks()
    geoBenchmarks()

    let policy = loadPolicies().headers
    let host = "www.example.com"
    let target = "/products/42?ref=home"   // no rule matches: the global block applies

    // Sanity: the request above selects the global block, and applying it does what the file says.
    do {
        precondition(policy.select(host: host, target: target, method: .GET).rule == nil, "expected the global block")
        var head = upstreamHead()
        policy.apply(to: &head, host: host, target: target, method: .GET, isTLS: true)
        precondition(!head.contains(name: "server") && !head.contains(name: "x-powered-by"))
        precondition(head.contains(name: "strict-transport-security") && head.contains(name: "content-security-policy"))
        precondition(head.first(name: "set-cookie")!.hasSuffix("; Secure; HttpOnly; SameSite=Lax"))
    }

    Benchmark("apply security headers (global block, TLS)") { benchmark in
        var batch = heads(benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        for index in batch.indices {
            blackHole(policy.apply(to: &batch[index], host: host, target: target, method: .GET, isTLS: true))
        }
        benchmark.stopMeasurement()
        blackHole(batch)
    }

    Benchmark("apply security headers (global block, TLS), apply only") { benchmark in
        let actions = policy.global
        var batch = heads(benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        for index in batch.indices {
            actions.apply(to: &batch[index], isTLS: true)
        }
        benchmark.stopMeasurement()
        blackHole(batch)
    }

    Benchmark("apply security headers (global block, plain HTTP), apply only") { benchmark in
        let actions = policy.global
        var batch = heads(benchmark.scaledIterations.count)
        benchmark.startMeasurement()
        for index in batch.indices {
            actions.apply(to: &batch[index], isTLS: false)
        }
        benchmark.stopMeasurement()
        blackHole(batch)
    }

    Benchmark("select header actions (global block)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(policy.select(host: host, target: target, method: .GET))
        }
    }
}
