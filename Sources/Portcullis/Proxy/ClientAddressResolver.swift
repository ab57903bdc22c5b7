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
            // Hops right to left, found byte by byte (no array of pieces per request).
            let utf8 = field.utf8
            var end = utf8.endIndex
            while true {
                var start = end
                while start > utf8.startIndex, utf8[utf8.index(before: start)] != UInt8(ascii: ",") { start = utf8.index(before: start) }
                guard let address = IPAddress(ClientAddressResolver.stripPort(field[start..<end].trimmingWhitespaceSubstring())) else {
                    // An unparseable hop ends the chain: what lies left of it cannot be trusted.
                    return candidate
                }
                candidate = address
                if !isTrusted(address) { return address }
                guard start > utf8.startIndex else { break }
                end = utf8.index(before: start)  // before the comma
            }
        }
        return candidate
    }

    /// `192.0.2.1:1234` and `[2001:db8::1]:443` carry ports some proxies append.
    static func stripPort(_ hop: Substring) -> Substring {
        let utf8 = hop.utf8
        if utf8.first == UInt8(ascii: "["), let close = utf8.firstIndex(of: UInt8(ascii: "]")) {
            return hop[utf8.index(after: utf8.startIndex)..<close]
        }
        if let colon = utf8.firstIndex(of: UInt8(ascii: ":")), utf8.lastIndex(of: UInt8(ascii: ":")) == colon {
            return hop[..<colon]
        }
        return hop
    }
}

extension Substring {
    func trimmingWhitespaceSubstring() -> Substring {
        let utf8 = self.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start] == UInt8(ascii: " ") || utf8[start] == UInt8(ascii: "\t") { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)] == UInt8(ascii: " ") || utf8[utf8.index(before: end)] == UInt8(ascii: "\t") { end = utf8.index(before: end) }
        return self[start..<end]
    }
}
