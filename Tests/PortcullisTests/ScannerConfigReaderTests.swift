import Testing
@testable import Portcullis

@Suite struct ScannerConfigReaderTests {
    private func load(_ scanner: String) throws(DiagnosticsError) -> GatewayConfig {
        try ConfigLoader.parse(yaml: ConfigLoaderTests.minimal + "\n" + scanner, file: "test.yaml", environment: [:])
    }

    private func problems(_ scanner: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try load(scanner)
            Issue.record("expected the config to be refused", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func readsEveryKey() throws {
        let config = try load("""
            scanner:
              engine: clamd
              clamd: { addresses: ["unix:/run/clamav/clamd.ctl", "tcp://10.0.0.5:3310"], connect_timeout: 500ms, timeout: 10s, pool_size: 2 }
              limits: { max_file_size: 10MiB, max_scan_size: 50MiB, max_recursion: 8, max_files: 500 }
              concurrency: 4
              memory_threshold: 256KiB
              spool_directory: /var/spool/portcullis
              quarantine: { directory: /var/lib/portcullis/quarantine, max_bytes: 2GiB }
            """)
        let scanner = try #require(config.scanner)
        #expect(scanner.engine == .clamd)
        #expect(scanner.clamdAddresses == [.unix(path: "/run/clamav/clamd.ctl"), .tcp(host: "10.0.0.5", port: 3310)])
        #expect(scanner.clamdConnectTimeout == 500_000_000)
        #expect(scanner.clamdPoolSize == 2)
        #expect(scanner.maxFileSize == 10 << 20)
        #expect(scanner.maxRecursion == 8)
        #expect(scanner.maxFiles == 500)
        #expect(scanner.concurrency == 4)
        #expect(scanner.memoryThreshold == 256 << 10)
        #expect(scanner.quarantineDirectory == "/var/lib/portcullis/quarantine")
        #expect(scanner.quarantineMaxBytes == 2 << 30)
    }

    @Test func badValuesAreReportedWhereWritten() {
        #expect(problems("""
            scanner:
              engine: sophos
              concurrency: 0
              clamd: { addresses: ["10.0.0.5:3310"] }
            """) == [
            "test.yaml:11:11: scanner.engine must be clamav (libclamav in process) or clamd; found 'sophos'",
            "test.yaml:13:24: scanner.clamd.addresses[0] is '10.0.0.5:3310'; expected tcp://HOST:PORT or unix:/PATH",
            "test.yaml:12:16: scanner.concurrency must be a whole number from 1 to 256; found '0'",
        ])
        #expect(problems("scanner: { engine: clamd }") == [
            "test.yaml:10:20: scanner.engine is clamd but scanner.clamd.addresses is empty; expected addresses: [\"unix:/run/clamav/clamd.ctl\"] or [\"tcp://127.0.0.1:3310\"]",
        ])
    }
}
