import Benchmark
import Foundation
import NIOEmbedded
import NIOHTTP1
import Portcullis

// A local rate-limit decision, as the request path makes it: match the rule, build the key from
// the client address, ask the in-process store. Issue 6's target: ≤ 100 ns single-threaded, and
// no collapse with both cores deciding at once.

/// A never-reached per-address limit on every request (the shape scripts/bench uses).
private func policy() -> RateLimitPolicy {
    let text = """
        rate_limits:
          - name: bench
            match: {}
            key: ip
            limits: [1000000/1s, 100000000/1h]
        """
    do {
        return try PolicyLoader.parse([PolicySource(file: "bench.yaml", text: text)]).rateLimits
    } catch {
        fatalError("\(error)")
    }
}

/// `clients` distinct client addresses, so the store holds as many keys as a busy gateway would.
private func requests(clients: Int) -> [RateLimitPhase.Request] {
    (0..<clients).map { index in
        RateLimitPhase.Request(
            method: .GET, headers: HTTPHeaders([("Host", "www.example.com")]), host: "www.example.com", target: "/products/42",
            client: IPAddress("10.\((index >> 16) & 255).\((index >> 8) & 255).\(index & 255)")!, requestId: "bench"
        )
    }
}

/// Decisions per call of `decide`: one request per client, round robin.
private func decide(_ phase: RateLimitPhase, _ policy: RateLimitPolicy, _ batch: [RateLimitPhase.Request], count: Int, loop: EmbeddedEventLoop) {
    var state = RateLimitState()
    for index in 0..<count {
        blackHole(phase.evaluate(batch[index % batch.count], policy: policy, state: &state, eventLoop: loop))
    }
}

func rateLimitBenchmarks() {
    let rules = policy()
    let batch = requests(clients: 10_000)
    let loop = EmbeddedEventLoop()
    // A clock that moves, so windows turn over as they would under real traffic.
    let clock: @Sendable () -> Int64 = { Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds) }

    Benchmark("rate-limit decision (local store, 10k clients)") { benchmark in
        let phase = RateLimitPhase(store: RateLimitStore(), clock: clock)
        decide(phase, rules, batch, count: batch.count, loop: loop)  // every key tracked before measuring
        benchmark.startMeasurement()
        decide(phase, rules, batch, count: benchmark.scaledIterations.count, loop: loop)
        benchmark.stopMeasurement()
    }

    // Two threads deciding at once on one store (both cores busy): reported per decision of the
    // measuring thread; the other thread decides as many for other clients meanwhile.
    Benchmark("rate-limit decision (local store, 10k clients, 2 threads)") { benchmark in
        let store = RateLimitStore()
        let phase = RateLimitPhase(store: store, clock: clock)
        let other = RateLimitPhase(store: store, clock: clock)
        let otherBatch = requests(clients: 20_000).suffix(10_000).map { $0 }
        decide(phase, rules, batch, count: batch.count, loop: loop)
        let count = benchmark.scaledIterations.count
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let otherLoop = EmbeddedEventLoop()
            started.signal()
            decide(other, rules, otherBatch, count: count, loop: otherLoop)
            done.signal()
        }
        thread.start()
        started.wait()
        benchmark.startMeasurement()
        decide(phase, rules, batch, count: count, loop: loop)
        benchmark.stopMeasurement()
        done.wait()
    }
}
