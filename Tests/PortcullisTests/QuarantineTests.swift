import Foundation
import NIOCore
import Testing
@testable import Portcullis

@Suite struct QuarantineTests {
    private func record(_ reason: String) -> Quarantine.Record {
        Quarantine.Record(time: Date(timeIntervalSince1970: 1_800_000_000), requestId: "r1", client: "192.0.2.1", route: "app", rule: "media", reason: reason, fileName: "a.bin", size: 600)
    }

    @Test func keepsTheFileAndItsRecordAndEvictsTheOldestBeyondTheCap() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-quarantine-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let quarantine = try Quarantine(directory: directory, maxBytes: 1500)
        var kept: [String] = []
        for index in 0..<3 {
            let bytes = ByteBuffer(bytes: [UInt8](repeating: UInt8(index), count: 600))
            let entry = try #require(quarantine.keep(.bytes(bytes), record: record("Sig.\(index)")))
            kept.append(entry.sha256)
            // Modification times order the eviction: keep them apart.
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: Double(index - 10))], ofItemAtPath: entry.path)
        }
        // 3 × 600 bytes over a 1500-byte cap: the oldest went.
        #expect(quarantine.evictedCount == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(kept[0])"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(kept[0]).json"))
        #expect(FileManager.default.fileExists(atPath: "\(directory)/\(kept[2])"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(kept[2]).json"))) as? [String: Any]
        #expect(json?["reason"] as? String == "Sig.2")
        #expect(json?["file_name"] as? String == "a.bin")
        #expect(json?["time"] as? String == "2027-01-15T08:00:00Z")
        #expect(json?["sha256"] as? String == kept[2])
    }
}
