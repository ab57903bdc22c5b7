import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension IPAddress {
    /// Writes the address's text (`192.0.2.1`, `2001:db8::1`) without an intermediate `String`.
    func writeText(to buffer: inout ByteBuffer) {
        switch self {
        case .v4(let value):
            for shift in stride(from: 24, through: 0, by: -8) {
                JSONLine.writeInteger((value >> UInt32(shift)) & 0xFF, to: &buffer)
                if shift > 0 { buffer.writeInteger(UInt8(ascii: ".")) }
            }
        case .v6(let value):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in
                for index in 0..<16 { raw[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index))) }
            }
            // INET6_ADDRSTRLEN is 46; the text is written into the buffer's spare room directly.
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 48) { raw in
                let text = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                guard inet_ntop(AF_INET6, &storage, text, 48) != nil else { return 0 }
                return strlen(text)
            }
        }
    }
}
