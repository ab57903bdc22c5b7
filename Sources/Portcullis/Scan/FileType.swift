import NIOCore

/// What a file really is, from its first bytes (never from the client's `Content-Type` or file
/// name). Named by MIME type in policies (`allow_types: [image/png, text/plain]`).
public enum FileType: String, Sendable, CaseIterable {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case gif = "image/gif"
    case webp = "image/webp"
    case pdf = "application/pdf"
    case zip = "application/zip"
    case gzip = "application/gzip"
    case text = "text/plain"
    case windowsExecutable = "application/vnd.microsoft.portable-executable"
    case elf = "application/x-elf"
    /// Nothing above: binary of an unknown kind.
    case octetStream = "application/octet-stream"

    /// Bytes needed to tell the types apart (text is judged on this prefix too).
    public static let sniffLength = 512

    /// The type of a file that starts with `prefix` (up to `sniffLength` bytes; an empty file is text).
    public static func sniff<Bytes: Collection>(_ prefix: Bytes) -> FileType where Bytes.Element == UInt8 {
        let head = Array(prefix.prefix(sniffLength))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<(offset + magic.count)]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x4D, 0x5A]) { return .windowsExecutable }
        if starts([0x7F, 0x45, 0x4C, 0x46]) { return .elf }
        return isText(head) ? .text : .octetStream
    }

    public static func sniff(_ buffer: ByteBuffer) -> FileType {
        sniff(buffer.readableBytesView)
    }

    /// UTF-8 (or ASCII) without control characters other than tab, newline, carriage return and
    /// form feed; a multi-byte character cut by the prefix's end is allowed.
    static func isText(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                if byte < 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D, byte != 0x0C { return false }
                if byte == 0x7F { return false }
                index += 1
                continue
            }
            let length: Int
            switch byte {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return false
            }
            var next = index + 1
            while next < index + length {
                if next >= bytes.count { return bytes.count >= sniffLength }  // cut by the prefix
                if bytes[next] & 0xC0 != 0x80 { return false }
                next += 1
            }
            index += length
        }
        return true
    }
}
