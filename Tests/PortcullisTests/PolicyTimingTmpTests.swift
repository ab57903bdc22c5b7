import NIOHTTP1
import Testing
import Foundation
@testable import Portcullis

@Suite struct PolicyTimingTmpTests {
    @Test func applyTiming() throws {
        let root = PolicyLoaderTests.repositoryRoot
        let set = try PolicyLoader.load(directory: root.appendingPathComponent("policies").path)
        let response = HTTPHeaders([("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "1234"), ("Date", "Sun, 22 Nov 2026 22:00:00 GMT"), ("Server", "demo"), ("X-Demo-Instance", "a"), ("Connection", "keep-alive")])
        let cookie = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "12"), ("Set-Cookie", "session=abc; Path=/"), ("X-Powered-By", "x")])
        for (label, base, target) in [("html /", response, "/"), ("global /adult/x", response, "/adult/x"), ("api + cookie", cookie, "/api/items")] {
            let n = 200_000
            var sink = 0
            // warm up
            for _ in 0..<1000 { var h = base; set.headers.apply(to: &h, host: "localhost", target: target, method: .GET, isTLS: true); sink &+= h.count }
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n {
                var h = base
                set.headers.apply(to: &h, host: "localhost", target: target, method: .GET, isTLS: true)
                sink &+= h.count
            }
            let ns = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(n)
            print("TIMING \(label): \(Int(ns)) ns per select+apply (sink \(sink))")
            let startSelect = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<n {
                sink &+= set.headers.select(host: "localhost", target: target, method: .GET).actions.set.count
            }
            print("TIMING \(label): \(Int(Double(DispatchTime.now().uptimeNanoseconds - startSelect) / Double(n))) ns per select")
        }
    }
}
