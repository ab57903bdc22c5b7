import Testing
@testable import Portcullis

@Suite struct FileTypeTests {
    @Test func magicBytesDecideNotNames() {
        #expect(FileType.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == .png)
        #expect(FileType.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(FileType.sniff(Array("GIF89a....".utf8)) == .gif)
        #expect(FileType.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
        #expect(FileType.sniff(Array("%PDF-1.7\n".utf8)) == .pdf)
        #expect(FileType.sniff([0x50, 0x4B, 0x03, 0x04, 0x14]) == .zip)
        #expect(FileType.sniff(Array("MZ\u{90}\u{0}".utf8)) == .windowsExecutable)
        #expect(FileType.sniff([0x7F, 0x45, 0x4C, 0x46, 2, 1]) == .elf)
    }

    @Test func textIsUTF8WithoutControlCharacters() {
        #expect(FileType.sniff(Array("hello, wörld\r\n\ttabbed".utf8)) == .text)
        #expect(FileType.sniff([UInt8]()) == .text)
        #expect(FileType.sniff([0x68, 0x00, 0x69]) == .octetStream)
        #expect(FileType.sniff([0xC3, 0x28]) == .octetStream)  // broken UTF-8
        // A multi-byte character cut by the 512-byte prefix is still text.
        #expect(FileType.sniff(Array(repeating: UInt8(ascii: "a"), count: 511) + [0xC3, 0xA9]) == .text)
    }
}
