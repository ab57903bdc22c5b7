import Foundation

/// `.mmdb` files written by Tests/Fixtures/make_geo_mmdb.pl with MaxMind's own writer
/// (libmaxmind-db-writer-perl): 81.2.69.142 GB, 24.28.0.1 US-TX, 67.43.156.1 US-UT,
/// 50.114.0.1 US-CA, 216.160.83.56 US-WA, 2a02:8100::1 DE, 2001:480::1 US-TX.
enum GeoFixture {
    static var script: String { TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/make_geo_mmdb.pl").path }

    /// Writes the database to `path` (by rename, as geoipupdate replaces a file).
    /// - Parameter sets: `NETWORK=CC[-SUB]` entries added or changed.
    static func write(to path: String, layout: String = "city", sets: [String] = []) throws {
        let output = try Command.run("/usr/bin/perl", [script, "--layout", layout] + sets.flatMap { ["--set", $0] } + [path])
        guard output.status == 0 else { throw TestFailure("make_geo_mmdb.pl failed: \(output.standardError)") }
    }
}
