import CMaxMindDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One opened MaxMind-format database (GeoIP2/GeoLite2 Country or City, DB-IP), memory-mapped
/// by libmaxminddb. Lookups only read the mapping, so any thread may run them at once; the file
/// is closed when the last reference goes, i.e. when no lookup can still be using it after a
/// reload swapped in a newer one.
public final class MaxMindDatabase: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<MMDB_s>
    public let path: String
    /// `database_type` from the metadata, e.g. `GeoIP2-City`.
    public let databaseType: String
    /// Seconds since 1970 when the file was built.
    public let buildEpoch: UInt64
    public let ipVersion: Int

    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot open the geo database \(path): \(reason)" }
    }

    /// Opens and maps the file (blocking: call it off the event loops).
    public init(path: String) throws(OpenError) {
        let handle = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), handle)
        guard status == MMDB_SUCCESS else {
            var reason = String(cString: MMDB_strerror(status))
            if status == MMDB_IO_ERROR { reason += " (\(String(cString: strerror(errno))))" }
            handle.deallocate()
            throw OpenError(path: path, reason: reason)
        }
        self.handle = handle
        self.path = path
        self.databaseType = handle.pointee.metadata.database_type.map { String(cString: $0) } ?? "unknown"
        self.buildEpoch = handle.pointee.metadata.build_epoch
        self.ipVersion = Int(handle.pointee.metadata.ip_version)
    }

    deinit {
        MMDB_close(handle)
        handle.deallocate()
    }

    /// The country and first subdivision of `address`; private ranges are not looked up.
    public func lookup(_ address: IPAddress) -> GeoLookup {
        if Self.isPrivate(address) { return .privateAddress }
        var error: Int32 = 0
        var result: MMDB_lookup_result_s
        switch address {
        case .v4(let value):
            var socket = sockaddr_in()
            socket.sin_family = sa_family_t(AF_INET)
            socket.sin_addr.s_addr = value.bigEndian
            result = withUnsafePointer(to: &socket) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(handle, $0, &error) }
            }
        case .v6(let value):
            var socket = sockaddr_in6()
            socket.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &socket.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index))) }
            }
            result = withUnsafePointer(to: &socket) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(handle, $0, &error) }
            }
        }
        // An IPv6 address in an IPv4-only database is simply not in it.
        guard error == MMDB_SUCCESS, result.found_entry else { return .notFound }
        guard let country = Self.string(&result.entry, subdivision: false) else { return .notFound }
        let subdivision = Self.string(&result.entry, subdivision: true).map { country + "-" + $0 }
        return .found(GeoLocation(country: country, subdivision: subdivision))
    }

    private static func string(_ entry: inout MMDB_entry_s, subdivision: Bool) -> String? {
        // ISO codes are 2 or 3 characters; 8 bytes leave room and keep the string inline.
        var buffer: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw -> String? in
            let chars = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let length = subdivision ? portcullis_mmdb_subdivision_code(&entry, chars, 8) : portcullis_mmdb_country_code(&entry, chars, 8)
            guard length > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)]), as: UTF8.self)
        }
    }

    /// Addresses no database places: loopback, RFC 1918, CGNAT, link-local, unique-local, unspecified.
    static func isPrivate(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let value):
            let a = value >> 24, b = (value >> 16) & 0xFF
            return a == 10 || a == 127 || a == 0 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && (64...127).contains(b))
        case .v6(let value):
            let top16 = value >> 112
            return value <= 1 || (top16 & 0xFE00) == 0xFC00 || (top16 & 0xFFC0) == 0xFE80
        }
    }
}
