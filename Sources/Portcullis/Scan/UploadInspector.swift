import Foundation
import MultipartKit
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Checks one request body against its rule, blocking (on the scan pool): a `multipart/form-data`
/// body is taken apart and each part checked on its own (a file part's real type against the
/// allow-list, then a scan); any other body is checked whole.
struct UploadInspector {
    let rule: UploadRule
    let scanner: UploadScanner
    /// The quarantine record's request fields (time, request id, client, route).
    let record: Quarantine.Record

    /// One thing to check: a form part or the whole body.
    struct Item {
        var fileName: String?
        /// Type-checked: a form part with a file name, or a whole body.
        var isFile: Bool
        var content: ScanContent
    }

    func inspect(_ body: RequestBody, contentType: String?) -> UploadVerdict {
        let items: [Item]
        if let boundary = Self.multipartBoundary(contentType) {
            switch Self.parts(of: body, boundary: boundary) {
            case .success(let parts): items = parts
            case .failure(let problem): return UploadVerdict(finding: .malformed(problem))
            }
        } else if Self.isFormData(contentType) {
            // The application would take it apart by a boundary the gateway cannot use: its parts
            // would go unchecked.
            return UploadVerdict(finding: .malformed("the multipart/form-data body has no usable boundary"))
        } else {
            items = [Item(fileName: nil, isFile: true, content: body.content)]
        }
        var verdict = UploadVerdict(finding: .clean)
        verdict.files = items.count
        // Types first: a refused type is not worth a scan.
        for item in items where item.isFile {
            let type = Self.sniff(item.content)
            if !rule.allows(type) {
                verdict.finding = .typeRefused(type, fileName: item.fileName)
                keep(item, reason: "type \(type.rawValue) is not allowed", in: &verdict)
                return verdict
            }
        }
        guard rule.scan else { return verdict }
        var notScanned: String?
        for item in items {
            switch scanner.scan(item.content, name: item.fileName) {
            case .clean:
                continue
            case .infected(let signature):
                verdict.finding = .infected(signature: signature, fileName: item.fileName)
                keep(item, reason: signature, in: &verdict)
                return verdict
            case .notScanned(let reason):
                if notScanned == nil { notScanned = reason }
            }
        }
        if let notScanned { verdict.finding = .notScanned(reason: notScanned) }
        return verdict
    }

    private func keep(_ item: Item, reason: String, in verdict: inout UploadVerdict) {
        guard rule.quarantine, let quarantine = scanner.quarantine else { return }
        var entry = record
        entry.reason = reason
        entry.fileName = item.fileName
        entry.size = item.content.size
        if let kept = quarantine.keep(item.content, record: entry) {
            verdict.quarantined.append(UploadVerdict.Kept(sha256: kept.sha256, path: kept.path, reason: reason))
        }
    }

    /// The boundary of a `multipart/form-data` body; nil for any other type, and for a boundary
    /// that is empty, over 200 bytes or not printable ASCII (RFC 2046 allows far less).
    static func multipartBoundary(_ contentType: String?) -> String? {
        guard isFormData(contentType), let contentType else { return nil }
        for piece in contentType.split(separator: ";").dropFirst().map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard !value.isEmpty, value.utf8.count <= 200, value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
            return value
        }
        return nil
    }

    /// Whether the media type is `multipart/form-data`, whatever its parameters.
    static func isFormData(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";", omittingEmptySubsequences: false).first else { return false }
        return type.trimmingCharacters(in: .whitespaces).lowercased() == "multipart/form-data"
    }

    /// A file part's name from its `Content-Disposition` (`filename="cat.png"`).
    static func fileName(fromDisposition value: String) -> String? {
        for piece in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "filename" else { continue }
            var name = pair[1]
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            return name
        }
        return nil
    }

    enum Parts {
        case success([Item])
        case failure(String)
    }

    /// The form's parts, from memory or read from the spool file in chunks (each part is then
    /// held in memory: the body's `max_bytes` bounds it).
    static func parts(of body: RequestBody, boundary: String) -> Parts {
        // multipart-kit 4.7.1 traps (index out of range) on a byte above 0x7F in a part's header
        // name. A first pass over a copy with such bytes as DEL, which no boundary, CR, LF or colon
        // is and which the parser refuses in header names, takes exactly the same steps and
        // fails where the original would trap.
        let risky = body.spoolPath != nil || body.memory?.readableBytesView.contains(where: { $0 > 0x7F }) == true
        if risky, case .failure(let problem) = takeApart(body, boundary: boundary, asciiOnly: true) { return .failure(problem) }
        return takeApart(body, boundary: boundary, asciiOnly: false)
    }

    private static func takeApart(_ body: RequestBody, boundary: String, asciiOnly: Bool) -> Parts {
        let parser = MultipartParser(boundary: boundary)
        var items: [Item] = []
        var headers: [(String, String)] = []
        var current = ByteBuffer()
        var ended = false
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { buffer in current.writeBuffer(&buffer) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1
            let name = disposition.flatMap(fileName(fromDisposition:))
            items.append(Item(fileName: name, isFile: name != nil, content: .bytes(current)))
            current = ByteBuffer()
            headers.removeAll()
            ended = true
        }
        do {
            if let path = body.spoolPath {
                let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { return .failure("the spooled body cannot be read") }
                defer { close(descriptor) }
                var chunk = ByteBufferAllocator().buffer(capacity: 64 * 1024)
                while true {
                    chunk.clear()
                    let count = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { pointer in
                        max(0, read(descriptor, pointer.baseAddress, 64 * 1024))
                    }
                    if count == 0 { break }
                    try parser.execute(asciiOnly ? Self.asciiOnly(chunk) : chunk)
                }
            } else if let memory = body.memory {
                try parser.execute(asciiOnly ? Self.asciiOnly(memory) : memory)
            }
        } catch {
            return .failure("the multipart/form-data body is malformed")
        }
        // A part cut off before its boundary would go unchecked while the application might keep it.
        if current.readableBytes > 0 || !headers.isEmpty { return .failure("the multipart/form-data body ends inside a part") }
        guard ended, !items.isEmpty else { return .failure("the multipart/form-data body has no complete part for boundary '\(boundary)'") }
        return .success(items)
    }

    /// `buffer` with every byte above 0x7F as DEL (0x7F); itself when it has none.
    static func asciiOnly(_ buffer: ByteBuffer) -> ByteBuffer {
        guard buffer.readableBytesView.contains(where: { $0 > 0x7F }) else { return buffer }
        return ByteBuffer(bytes: buffer.readableBytesView.lazy.map { min($0, 0x7F) })
    }

    static func sniff(_ content: ScanContent) -> FileType {
        switch content {
        case .bytes(let buffer):
            return FileType.sniff(buffer)
        case .file(let path, _):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return .octetStream }
            defer { close(descriptor) }
            var prefix = [UInt8](repeating: 0, count: FileType.sniffLength)
            let count = prefix.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, FileType.sniffLength) }
            return FileType.sniff(prefix.prefix(max(0, count)))
        }
    }
}
