/// Finds the real client address behind trusted proxies: the rightmost `X-Forwarded-For` hop that
/// is not itself a trusted proxy. An untrusted peer's `X-Forwarded-For` is never believed.
public struct ClientAddressResolver: Sendable {
    public let trustedProxies: [IPNetwork]

    public init(trustedProxies: [IPNetwork]) {
        self.trustedProxies = trustedProxies
    }

    public func isTrusted(_ address: IPAddress) -> Bool {
        for network in trustedProxies where network.contains(address) { return true }
        return false
    }

    /// - Parameters:
    ///   - peer: the TCP peer address.
    ///   - forwardedFor: every `X-Forwarded-For` field value, in the order received.
    public func resolve(peer: IPAddress, forwardedFor: [Substring]) -> IPAddress {
        guard !trustedProxies.isEmpty, isTrusted(peer), !forwardedFor.isEmpty else { return peer }
        var candidate = peer
        for field in forwardedFor.reversed() {
            for hop in field.split(separator: ",").reversed() {
                guard let address = IPAddress(ClientAddressResolver.stripPort(hop.trimmingWhitespaceSubstring())) else {
                    // An unparseable hop ends the chain: what lies left of it cannot be trusted.
                    return candidate
                }
                candidate = address
                if !isTrusted(address) { return address }
            }
        }
        return candidate
    }

    /// `192.0.2.1:1234` and `[2001:db8::1]:443` carry ports some proxies append.
    static func stripPort(_ hop: Substring) -> Substring {
        if hop.first == "[", let close = hop.firstIndex(of: "]") {
            return hop[hop.index(after: hop.startIndex)..<close]
        }
        if let colon = hop.firstIndex(of: ":"), hop.lastIndex(of: ":") == colon {
            return hop[..<colon]
        }
        return hop
    }
}

extension Substring {
    func trimmingWhitespaceSubstring() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
