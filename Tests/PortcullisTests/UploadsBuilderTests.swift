import Testing
@testable import Portcullis

@Suite struct UploadsBuilderTests {
    private func problems(_ yaml: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)])
            Issue.record("expected the policies to be refused, they loaded", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func compilesARule() throws {
        let yaml = """
            uploads:
              - name: media
                match: { methods: [POST], path_prefix: /upload/ }
                max_bytes: 20MiB
                allow_types: [image/png, application/pdf]
                on_scanner_error: allow
                quarantine: false
                blocked_status: 422
                show_signature: true
            """
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)])
        let rule = try #require(set.uploads.rules.first)
        #expect(rule.maxBytes == 20 * 1024 * 1024)
        #expect(rule.allowTypes == [.png, .pdf])
        #expect(rule.scan)
        #expect(rule.onScannerError == .allow)
        #expect(!rule.quarantine)
        #expect(rule.blockedStatus.code == 422)
        #expect(rule.showSignature)
        #expect(set.uploads.select(host: "localhost", path: "/upload/a.png", method: .POST)?.name == "media")
        #expect(set.uploads.select(host: "localhost", path: "/upload/a.png", method: .GET) == nil)
        // No scanner given (validation, policy tests): no phase, so nothing is held back.
        #expect(set.requestPhases.isEmpty)
    }

    @Test func defaultsDenyOnScannerErrorAndQuarantine() throws {
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: "uploads:\n  - { name: u, match: { path: /u }, max_bytes: 1KiB }\n")])
        let rule = try #require(set.uploads.rules.first)
        #expect(rule.onScannerError == .deny)
        #expect(rule.quarantine)
        #expect(rule.blockedStatus.code == 403)
        #expect(!rule.showSignature)
        #expect(rule.allowTypes.isEmpty)
    }

    @Test func everyBadValueIsReportedWhereWritten() {
        let yaml = """
            uploads:
              - name: media
                match: { path: /upload }
                max_bytes: lots
                allow_types: [image/png, image/tiff]
                scan: sometimes
                on_scanner_error: ignore
                blocked_status: 404
              - name: shadowed
                mode: shadow
                match: { path: /other }
                max_bytes: 1MiB
            """
        #expect(problems(yaml) == [
            "p.yaml:4:16: rule 'media': uploads[0].max_bytes must be a size like 512, 16KiB, 64MiB or 1GiB (at least 1 bytes); found 'lots'",
            "p.yaml:5:30: rule 'media': uploads[0].allow_types[1] is 'image/tiff', a type the gateway cannot recognise from a file's bytes; expected one of \(UploadsBuilder.typeNames)",
            "p.yaml:6:11: rule 'media': uploads[0].scan must be required (every file is scanned) or off (types and size only); found 'sometimes'",
            "p.yaml:7:23: rule 'media': uploads[0].on_scanner_error must be deny (503, the default) or allow (forward unscanned); found 'ignore'",
            "p.yaml:8:21: rule 'media': uploads[0].blocked_status must be 403 or 422; found 404",
            "p.yaml:9:5: rule 'shadowed': uploads rules have no shadow mode (the body would be held back all the same); expected mode: enforce",
        ])
    }
}
