import Foundation
import FuzzSupport
import Logging
import NIOCore
import Synchronization
@testable import PortcullisFuzzed

/// The upload inspection path without the malware engine: the `Content-Type` (and its boundary)
/// is the input's first line, the body the rest. The body goes through `UploadInspector` as the
/// scan pool runs it, from memory and from a spool file, with an allow-list of PNG and text.
///
/// Invariants: the two readings agree; a form without a usable boundary is refused; a clean
/// verdict means every file part's type is allowed
/// and every part reached the scanner; a refused type is the type of one of the file parts; a
/// body that cannot be taken apart gets the documented `400 upload-malformed`; every part's bytes
/// lie inside the body; a part's type depends only on its bytes (in memory at any offset, or in a
/// file, the same type).
enum MultipartUploadFuzz {
    /// A stand-in engine (the point is the parsing, not libclamav): records what it was given.
    final class RecordingEngine: PortcullisFuzzed.Scanner, @unchecked Sendable {
        var scanned: [[UInt8]] = []
        let engineName = "recording"

        func scan(_ content: ScanContent, name: String?) -> ScanResult {
            scanned.append(MultipartUploadFuzz.bytes(of: content))
            return .clean
        }

        func shutdown() {}
    }

    static let engine = RecordingEngine()
    static let scanner: UploadScanner = {
        var config = ScannerConfig()
        config.concurrency = 1
        let scanner = try! UploadScanner(config: config, engine: engine, logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        // The inspector runs on the calling thread here; the scan pool is not needed, and its
        // threads' bookkeeping looks like a leak to LeakSanitizer.
        try! scanner.pool.syncShutdownGracefully()
        return scanner
    }()
    static let rule: UploadRule = {
        let yaml = """
            uploads:
              - name: media
                match: { path_prefix: /upload/ }
                max_bytes: 1MiB
                allow_types: [image/png, text/plain]
            """
        let policies = try! PolicyLoader.parse([PolicySource(file: "uploads.yaml", text: yaml)], environment: [:])
        return policies.uploads.rules[0]
    }()
    static let record = Quarantine.Record(time: Date(), requestId: "fuzz", client: "127.0.0.1", route: "app", rule: "media", reason: "", fileName: nil, size: 0)
    static let spool = NSTemporaryDirectory() + "portcullis-fuzz-multipart-\(getpid())"

    static func test(_ input: UnsafeRawBufferPointer) {
        let newline = input.firstIndex(of: 0x0A)
        let contentType = newline.map { String(decoding: UnsafeRawBufferPointer(rebasing: input[..<$0]), as: UTF8.self) }
        let bodyBytes = Array(newline.map { input[($0 + 1)...] } ?? input[...])
        let body = RequestBody(memory: ByteBuffer(bytes: bodyBytes), spoolPath: nil, size: bodyBytes.count)
        let inspector = UploadInspector(rule: rule, scanner: scanner, record: record)

        engine.scanned = []
        let verdict = inspector.inspect(body, contentType: contentType)
        let scanned = engine.scanned

        // What the phase answers: a malformed body is the documented 400, nothing else reads as one.
        let (_, outcome) = UploadScanPhase.answer(verdict, rule: rule, requestId: "fuzz")
        if case .malformed = verdict.finding {
            guard case .respond(let problem) = outcome else { return FuzzDriver.require(false, "a malformed body was not refused") }
            FuzzDriver.require(problem.status == .badRequest && problem.slug == "upload-malformed", "a malformed body got \(problem.status) \(problem.slug)")
        }

        // The items the inspector judged, read again from memory and from a spool file.
        let items: [UploadInspector.Item]
        if let boundary = UploadInspector.multipartBoundary(contentType) {
            let fromMemory = UploadInspector.parts(of: body, boundary: boundary)
            FuzzDriver.require(bodyBytes.withUnsafeBytes { FileManager.default.createFile(atPath: spool, contents: Data($0)) }, "cannot write the spool file")
            let fromFile = UploadInspector.parts(of: RequestBody(memory: nil, spoolPath: spool, size: bodyBytes.count), boundary: boundary)
            switch (fromMemory, fromFile) {
            case (.success(let memory), .success(let file)):
                FuzzDriver.require(memory.map(\.fileName) == file.map(\.fileName) && memory.map { bytes(of: $0.content) } == file.map { bytes(of: $0.content) },
                                   "the spooled body is read differently from memory")
                items = memory
            case (.failure(let memory), .failure(let file)):
                FuzzDriver.require(memory == file, "the spooled body fails differently: \(memory) / \(file)")
                FuzzDriver.require(verdict.finding == .malformed(memory), "a form that cannot be taken apart got \(verdict.finding)")
                return
            default:
                return FuzzDriver.require(false, "memory and spool file disagree on whether the form is well formed")
            }
        } else if UploadInspector.isFormData(contentType) {
            // A form whose boundary the gateway cannot use would reach the application unchecked.
            return FuzzDriver.require(verdict.finding == .malformed("the multipart/form-data body has no usable boundary"), "a form without a usable boundary got \(verdict.finding)")
        } else {
            items = [UploadInspector.Item(fileName: nil, isFile: true, content: body.content)]
        }

        var types: [FileType] = []
        for item in items {
            let content = bytes(of: item.content)
            FuzzDriver.require(contains(bodyBytes, content), "a part's bytes are not in the body")
            guard item.isFile else { continue }
            let type = typeByItsBytesAlone(content)
            FuzzDriver.require(UploadInspector.sniff(item.content) == type, "a part's type depends on more than its bytes")
            types.append(type)
        }

        FuzzDriver.require(verdict.files == items.count, "\(verdict.files) files looked at, \(items.count) parts")
        switch verdict.finding {
        case .clean:
            FuzzDriver.require(types.allSatisfy(rule.allows), "a clean verdict for a refused type among \(types)")
            FuzzDriver.require(scanned == items.map { bytes(of: $0.content) }, "a part did not reach the scanner")
        case .typeRefused(let type, _):
            FuzzDriver.require(!rule.allows(type) && types.contains(type), "refused \(type), not the type of a file part (\(types))")
            FuzzDriver.require(scanned.isEmpty, "a refused type was scanned")
        case .malformed(let problem):
            FuzzDriver.require(false, "malformed (\(problem)) although both readings took the form apart")
        case .infected, .notScanned:
            FuzzDriver.require(false, "the recording engine finds nothing, yet the verdict is \(verdict.finding)")
        }
    }

    /// The type from a copy of the bytes alone: in a fresh buffer at an offset, and in a file.
    static func typeByItsBytesAlone(_ content: [UInt8]) -> FileType {
        let type = FileType.sniff(content)
        var shifted = ByteBuffer(bytes: [0x89, 0x50, 0x4E, 0x47] + content + [0x00])
        shifted.moveReaderIndex(forwardBy: 4)
        shifted.moveWriterIndex(to: shifted.writerIndex - 1)
        FuzzDriver.require(FileType.sniff(shifted) == type, "the type changes with the buffer's offset")
        let path = spool + ".part"
        FuzzDriver.require(content.withUnsafeBytes { FileManager.default.createFile(atPath: path, contents: Data($0)) }, "cannot write the part file")
        FuzzDriver.require(UploadInspector.sniff(.file(path: path, size: content.count)) == type, "the type of the same bytes in a file differs")
        return type
    }

    static func bytes(of content: ScanContent) -> [UInt8] {
        switch content {
        case .bytes(let buffer): return Array(buffer.readableBytesView)
        case .file(let path, _): return Array(FileManager.default.contents(atPath: path) ?? Data())
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

@_cdecl("fuzz_multipart_upload_main")
func fuzzMain(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = MultipartUploadFuzz.scanner
    return FuzzDriver.run(argc: argc, argv: argv, MultipartUploadFuzz.test)
}
