import Benchmark
import Foundation
import NIOEmbedded
import NIOHTTP1
import Portcullis

// A geo lookup plus the decision of the shipped rule (policies/geo.yaml's shape: GB, US-TX and
// US-UT need an age token on /adult/), as the request path makes it: match the rule, look the
// client up in a City-layout .mmdb written by Tests/Fixtures/make_geo_mmdb.pl with MaxMind's
// writer, decide. Issue 9's target: ≤ 500 ns.

private func geoPolicy() -> GeoPolicy {
    let text = """
        geo:
          - name: adult
            match: { path_prefix: /adult/ }
            restricted: [GB, US-TX, US-UT]
            action: deny
            unknown_location: allow
        """
    do {
        return try PolicyLoader.parse([PolicySource(file: "bench.yaml", text: text)]).geo
    } catch {
        fatalError("\(error)")
    }
}

/// Writes the fixture database (blocking, before any measurement).
private func fixtureDatabase() -> String {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(4)
    let root = components.joined(separator: "/")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-geo.mmdb").path  // one file, rewritten by every run
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
    process.arguments = [root + "/Tests/Fixtures/make_geo_mmdb.pl", path]
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch { fatalError("cannot run make_geo_mmdb.pl: \(error)") }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("make_geo_mmdb.pl failed") }
    return path
}

func geoBenchmarks() {
    let path = fixtureDatabase()
    let store = GeoDatabaseStore(config: GeoConfig(database: path))
    let phase = GeoPhase(store: store)
    let policy = geoPolicy()
    let loop = EmbeddedEventLoop()
    // Visitors from the restricted and unrestricted places of the fixture, one after another.
    let requests = ["81.2.69.142", "24.28.0.1", "216.160.83.56", "50.114.0.1", "2a02:8100::1", "192.0.2.1"].map { client in
        GeoPhase.Request(client: IPAddress(client)!, method: .GET, host: "www.example.com", target: "/adult/page",
                         headers: HTTPHeaders([("Host", "www.example.com")]), isTLS: true, requestId: "bench")
    }

    Benchmark("geo lookup + decision (City database, 6 visitors)") { benchmark in
        for index in benchmark.scaledIterations {
            var decisions = AccessLogDecisions()
            blackHole(phase.evaluate(requests[index % requests.count], policy: policy, decisions: &decisions, eventLoop: loop))
            blackHole(decisions)
        }
    }

    Benchmark("geo lookup only") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(store.lookup(requests[index % requests.count].client))
        }
    }
}
