/// An address block in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a /32 or /128.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let base: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maxLength: Int
        switch address {
        case .v4: maxLength = 32
        case .v6: maxLength = 128
        }
        var length = maxLength
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isNumber), let parsed = Int(parts[1]), (0...maxLength).contains(parsed) else { return nil }
            length = parsed
        }
        self.prefixLength = length
        self.base = IPNetwork.mask(address, length)
    }

    public func contains(_ address: IPAddress) -> Bool {
        switch (base, address) {
        case (.v4, .v4), (.v6, .v6): return IPNetwork.mask(address, prefixLength) == base
        default: return false
        }
    }

    /// The address with every bit after the first `length` cleared.
    public static func mask(_ address: IPAddress, _ length: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            let bits: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
            return .v4(value & bits)
        case .v6(let value):
            let bits: UInt128 = length == 0 ? 0 : ~UInt128(0) << (128 - length)
            return .v6(value & bits)
        }
    }

    public var description: String { "\(base)/\(prefixLength)" }
}
