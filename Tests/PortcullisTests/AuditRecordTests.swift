import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Portcullis

@Suite struct AuditRecordTests {
    private func object(_ record: AuditRecord) throws -> [String: Any] {
        var buffer = ByteBuffer()
        var timestamp = LogTimestamp()
        record.write(timeNanos: AccessLogFormatTests.time, timestamp: &timestamp, to: &buffer)
        let line = String(buffer: buffer)
        #expect(line.hasSuffix("}\n") && line.dropLast().firstIndex(of: "\n") == nil)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func aBlockCarriesWhoWhatAndWhyWithoutQueryValues() throws {
        let object = try object(AuditRecord(
            event: .block(kind: .rateLimit, outcome: .limited, status: 429, method: .POST, host: "shop.example", target: "/api/login?user=alice&otp=123456"),
            requestId: "0123456789abcde", client: IPAddress("198.51.100.4"), rule: "login"
        ))
        #expect(object["time"] as? String == "2025-03-01T12:34:56.789Z")
        #expect(object["event"] as? String == "block")
        #expect(object["request_id"] as? String == "0123456789abcde")
        #expect(object["client"] as? String == "198.51.100.4")
        #expect(object["rule"] as? String == "login")
        let detail = try #require(object["detail"] as? [String: Any])
        #expect(detail["kind"] as? String == "rate_limit")
        #expect(detail["outcome"] as? String == "limited")
        #expect(detail["status"] as? Int == 429)
        #expect(detail["method"] as? String == "POST")
        #expect(detail["path"] as? String == "/api/login")
        #expect(detail["query"] as? String == "user=REDACTED&otp=REDACTED")
    }

    @Test func aBanNamesTheKeyKindNotTheKey() throws {
        let object = try object(AuditRecord(event: .ban(keyKind: "header:X-User-Id", durationNanos: 900_000_000_000, level: 2), requestId: "r1", client: IPAddress("2001:db8::7"), rule: "withdrawals"))
        #expect(object["event"] as? String == "ban")
        let detail = try #require(object["detail"] as? [String: Any])
        #expect(detail["key_kind"] as? String == "header:X-User-Id")
        #expect(detail["duration_s"] as? Int == 900)
        #expect(detail["level"] as? Int == 2)
    }

    @Test func policyReloadsOkAndFailed() throws {
        let ok = try object(AuditRecord(event: .policyReload(ok: true, digest: "sha256:ab12", problems: [])))
        #expect(ok["event"] as? String == "policy_reload")
        #expect(ok["request_id"] == nil && ok["client"] == nil && ok["rule"] == nil)
        #expect((ok["detail"] as? [String: Any])?["outcome"] as? String == "ok")
        #expect((ok["detail"] as? [String: Any])?["digest"] as? String == "sha256:ab12")
        let failed = try object(AuditRecord(event: .policyReload(ok: false, digest: nil, problems: ["policies/a.yaml:3:5: unknown key \"nmae\"", "b"])))
        let detail = try #require(failed["detail"] as? [String: Any])
        #expect(detail["outcome"] as? String == "failed")
        #expect(detail["problems"] as? [String] == ["policies/a.yaml:3:5: unknown key \"nmae\"", "b"])
    }

    @Test func theAuditLogWritesFromLoopsAndFromTheControlPlane() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("audit.log").path
        let audit = try AuditLog(config: AuditLogConfig(destination: .file(path)), logger: Logger(label: "test"))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let loop = group.next()
        try await loop.submit {
            let logger = audit.makeLogger(on: loop)
            logger.log(AuditRecord(event: .ban(keyKind: "ip", durationNanos: 60_000_000_000, level: 1), requestId: "r1", client: IPAddress("192.0.2.1"), rule: "login"))
        }.get()
        audit.log(AuditRecord(event: .policyReload(ok: true, digest: "sha256:00", problems: [])))
        await audit.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(Set(lines.compactMap { $0.contains("\"event\":\"ban\"") ? "ban" : $0.contains("\"event\":\"policy_reload\"") ? "reload" : nil }) == ["ban", "reload"])
    }
}
