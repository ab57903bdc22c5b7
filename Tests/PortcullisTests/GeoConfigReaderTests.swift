import Testing
@testable import Portcullis

@Suite struct GeoConfigReaderTests {
    static let minimal = ConfigLoaderTests.minimal

    private func problems(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: [:])
            Issue.record("expected the config to be refused")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func readsTheSection() throws {
        let config = try ConfigLoader.parse(yaml: Self.minimal + "\ngeo: { database: /var/lib/GeoIP/GeoLite2-City.mmdb, reload_interval: 1m, forward_location: true }\n", file: "test.yaml", environment: [:])
        let geo = try #require(config.geo)
        #expect(geo.database == "/var/lib/GeoIP/GeoLite2-City.mmdb")
        #expect(geo.reloadInterval == 60_000_000_000)
        #expect(geo.forwardLocation)
        #expect(try ConfigLoader.parse(yaml: Self.minimal, file: "test.yaml", environment: [:]).geo == nil)
    }

    @Test func badValuesAreReportedWhereWritten() {
        #expect(problems(Self.minimal + "\ngeo: { reload_interval: 10ms, forward_location: maybe }\n") == [
            "test.yaml:10:6: geo is missing required key 'database'",
            "test.yaml:10:25: geo.reload_interval must be a duration like 250ms, 10s, 5m or 1h (at least 100ms); found '10ms'",
            "test.yaml:10:49: geo.forward_location must be true or false; found 'maybe'",
        ])
    }
}
