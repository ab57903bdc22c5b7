#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as a number, so prefixes and ranges compare cheaply.
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are stored as IPv4: they are the same client.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses a textual address: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`, `fe80::1%eth0` (zone dropped).
    public init?(_ text: Substring) {
        var body = text
        if body.first == "[", body.last == "]" { body = body.dropFirst().dropLast() }
        if let percent = body.firstIndex(of: "%") { body = body[..<percent] }
        guard !body.isEmpty, body.utf8.count <= 64 else { return nil }
        if body.contains(":") {
            var storage = in6_addr()
            let ok = String(body).withCString { inet_pton(AF_INET6, $0, &storage) } == 1
            guard ok else { return nil }
            let value = withUnsafeBytes(of: &storage) { raw in
                raw.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) }
            }
            self.init(v6: value)
        } else {
            var storage = in_addr()
            let ok = String(body).withCString { inet_pton(AF_INET, $0, &storage) } == 1
            guard ok else { return nil }
            self = .v4(UInt32(bigEndian: storage.s_addr))
        }
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    init(v6 value: UInt128) {
        if value >> 32 == 0xFFFF { self = .v4(UInt32(truncatingIfNeeded: value)) } else { self = .v6(value) }
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
        case .v6(let value):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in
                for index in 0..<16 { raw[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index))) }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count))
            return String(cString: buffer)
        }
    }
}
