import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension IPAddress {
    /// Bytes `writeText` may take (INET6_ADDRSTRLEN and a little).
    static let maxTextLength = 48

    /// Writes the address's text (`192.0.2.1`, `2001:db8::1`) without an intermediate `String`.
    func writeText(to writer: inout JSONRawWriter) {
        switch self {
        case .v4(let value):
            for shift in stride(from: 24, through: 0, by: -8) {
                writer.unsigned(UInt64((value >> UInt32(shift)) & 0xFF))
                if shift > 0 { writer.byte(UInt8(ascii: ".")) }
            }
        case .v6(let value):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in
                for index in 0..<16 { raw[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index))) }
            }
            let text = UnsafeMutableRawPointer(writer.base + writer.position).assumingMemoryBound(to: CChar.self)
            guard inet_ntop(AF_INET6, &storage, text, socklen_t(Self.maxTextLength)) != nil else { return }
            writer.skip(strlen(text))
        }
    }

    func writeText(to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maxTextLength) { raw in
            var writer = JSONRawWriter(raw)
            writeText(to: &writer)
            return writer.position
        }
    }
}
