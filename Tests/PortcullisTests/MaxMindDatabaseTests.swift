import Foundation
import Testing
@testable import Portcullis

/// Lookups in `.mmdb` files written by MaxMind's own writer (Tests/Fixtures/make_geo_mmdb.pl).
@Suite struct MaxMindDatabaseTests {
    static func fixture(layout: String) throws -> (path: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-geo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("\(layout).mmdb").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/make_geo_mmdb.pl").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = [script, "--layout", layout, path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (path, directory)
    }

    @Test func cityLayoutGivesCountryAndSubdivision() throws {
        let (path, directory) = try Self.fixture(layout: "city")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try MaxMindDatabase(path: path)
        #expect(database.databaseType == "GeoIP2-City")
        #expect(database.ipVersion == 6)
        func lookup(_ text: String) -> GeoLookup { database.lookup(IPAddress(text)!) }
        #expect(lookup("81.2.69.142") == .found(GeoLocation(country: "GB", subdivision: "GB-ENG")))
        #expect(lookup("24.28.0.1") == .found(GeoLocation(country: "US", subdivision: "US-TX")))
        #expect(lookup("216.160.83.56") == .found(GeoLocation(country: "US", subdivision: "US-WA")))
        #expect(lookup("2a02:8100::1") == .found(GeoLocation(country: "DE", subdivision: "DE-BE")))
        #expect(lookup("::ffff:81.2.69.142") == .found(GeoLocation(country: "GB", subdivision: "GB-ENG")))
        #expect(lookup("192.0.2.1") == .notFound)
        #expect(lookup("2001:db8::1") == .notFound)
        for address in ["10.0.0.1", "127.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "::1", "fe80::1", "fd00::1"] {
            #expect(lookup(address) == .privateAddress, "\(address)")
        }
    }

    @Test func countryLayoutGivesTheCountryOnly() throws {
        let (path, directory) = try Self.fixture(layout: "country")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try MaxMindDatabase(path: path)
        #expect(database.databaseType == "GeoIP2-Country")
        #expect(database.lookup(IPAddress("24.28.0.1")!) == .found(GeoLocation(country: "US")))
    }

    @Test func aMissingOrCorruptFileSaysWhy() throws {
        #expect(throws: MaxMindDatabase.OpenError.self) { try MaxMindDatabase(path: "/nonexistent.mmdb") }
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-corrupt-\(UUID().uuidString).mmdb")
        try Data(repeating: 0x5A, count: 1024).write(to: corrupt)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        do {
            _ = try MaxMindDatabase(path: corrupt.path)
            Issue.record("a corrupt file opened")
        } catch {
            #expect(error.description.contains(corrupt.path))
        }
    }
    @Test func aTruncatedFileIsRefused() throws {
        let (path, directory) = try Self.fixture(layout: "city")
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        do {
            _ = try MaxMindDatabase(path: path)
            Issue.record("a truncated file opened")
        } catch {
            #expect(error.description.contains(path))
        }
    }

    @Test func aDamagedSearchTreeAnswersNotFound() throws {
        let (path, directory) = try Self.fixture(layout: "city")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The root node's records point far beyond the file; the metadata at the end is intact.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8))
        try bytes.write(to: URL(fileURLWithPath: path))
        let database = try MaxMindDatabase(path: path)
        for address in ["81.2.69.142", "24.28.0.1", "2a02:8100::1"] {
            #expect(database.lookup(IPAddress(address)!) == .notFound, "\(address)")
        }
    }
}
