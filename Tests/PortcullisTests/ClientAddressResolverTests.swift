import Testing
@testable import Portcullis

@Suite struct ClientAddressResolverTests {
    let resolver = ClientAddressResolver(trustedProxies: ["10.0.0.0/8", "2001:db8:ffff::/48"].map { IPNetwork($0)! })

    private func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("test address \(text) must parse") }
        return address
    }

    private func resolve(peer: String, _ fields: [String]) -> IPAddress {
        resolver.resolve(peer: ip(peer), forwardedFor: fields.map { Substring($0) })
    }

    @Test func untrustedPeerIsTheClientWhateverXForwardedForSays() {
        #expect(resolve(peer: "203.0.113.9", ["198.51.100.7"]) == ip("203.0.113.9"))
        #expect(resolve(peer: "203.0.113.9", ["10.0.0.2"]) == ip("203.0.113.9"))
        #expect(resolve(peer: "203.0.113.9", []) == ip("203.0.113.9"))
    }

    @Test func noTrustedProxiesMeansThePeer() {
        let open = ClientAddressResolver(trustedProxies: [])
        #expect(open.resolve(peer: ip("10.0.0.1"), forwardedFor: ["198.51.100.7"]) == ip("10.0.0.1"))
    }

    @Test func trustedPeerWithoutXForwardedForIsTheClient() {
        #expect(resolve(peer: "10.0.0.1", []) == ip("10.0.0.1"))
    }

    @Test func trustedPeerGivesTheRightmostUntrustedHop() {
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7"]) == ip("198.51.100.7"))
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7, 10.0.0.2"]) == ip("198.51.100.7"))
        // The leftmost hop was written by the client itself: it is not believed.
        #expect(resolve(peer: "10.0.0.1", ["192.0.2.66, 198.51.100.7, 10.0.0.2"]) == ip("198.51.100.7"))
        #expect(resolve(peer: "2001:db8:ffff::1", ["2001:db8:1::5, 2001:db8:ffff::2"]) == ip("2001:db8:1::5"))
    }

    @Test func allHopsTrustedGivesTheLeftmost() {
        #expect(resolve(peer: "10.0.0.1", ["10.0.0.3, 10.0.0.2"]) == ip("10.0.0.3"))
    }

    @Test func unparseableHopStopsTheWalk() {
        // Right of 'garbage' is a trusted proxy; what lies left of it cannot be trusted.
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7, garbage, 10.0.0.2"]) == ip("10.0.0.2"))
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7, unknown"]) == ip("10.0.0.1"))
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7, , 10.0.0.2"]) == ip("10.0.0.2"))
    }

    @Test func portsInHopsAreStripped() {
        #expect(resolve(peer: "10.0.0.1", ["1.2.3.4:5678"]) == ip("1.2.3.4"))
        #expect(resolve(peer: "10.0.0.1", ["[2001:db8::1]:443"]) == ip("2001:db8::1"))
        #expect(resolve(peer: "10.0.0.1", ["[2001:db8::1]"]) == ip("2001:db8::1"))
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7, 10.0.0.2:8080"]) == ip("198.51.100.7"))
        #expect(resolve(peer: "10.0.0.1", ["2001:db8::1"]) == ip("2001:db8::1"))
    }

    @Test func severalFieldsAreOneList() {
        #expect(resolve(peer: "10.0.0.1", ["198.51.100.7", "10.0.0.2"]) == ip("198.51.100.7"))
        #expect(resolve(peer: "10.0.0.1", ["192.0.2.66", "198.51.100.7, 10.0.0.3", "10.0.0.2"]) == ip("198.51.100.7"))
        #expect(resolve(peer: "10.0.0.1", ["10.0.0.4", "10.0.0.3, 10.0.0.2"]) == ip("10.0.0.4"))
    }

    @Test func ipv4MappedHopsAreCheckedAsIPv4() {
        #expect(resolve(peer: "::ffff:10.0.0.1", ["198.51.100.7, ::ffff:10.0.0.2"]) == ip("198.51.100.7"))
    }

    @Test func isTrusted() {
        #expect(resolver.isTrusted(ip("10.255.255.255")))
        #expect(!resolver.isTrusted(ip("11.0.0.0")))
        #expect(resolver.isTrusted(ip("2001:db8:ffff:1::1")))
        #expect(!resolver.isTrusted(ip("2001:db8:fffe::1")))
    }

    /// Random chains of trusted and untrusted hops, split over a random number of fields with
    /// random ports and spacing: the answer is the peer when it is untrusted, otherwise the
    /// rightmost untrusted hop, otherwise the leftmost hop.
    @Test func randomChainsResolveToTheRightmostUntrustedHop() {
        let trusted = ["10.0.0.0/8", "172.16.0.0/12", "2001:db8:ffff::/48"].map { IPNetwork($0)! }
        let resolver = ClientAddressResolver(trustedProxies: trusted)
        var random = SplitMix64(seed: 0xC0FF_EE00_1234_5678)

        func isTrusted(_ address: IPAddress) -> Bool { trusted.contains { $0.contains(address) } }
        func randomAddress(trusted wanted: Bool) -> IPAddress {
            while true {
                let candidate: IPAddress
                switch random.next() % 4 {
                case 0: candidate = .v4(0x0A00_0000 | UInt32(truncatingIfNeeded: random.next()) & 0x00FF_FFFF)
                case 1: candidate = IPAddress(v6: UInt128(0x2001_0db8_ffff) << 80 | UInt128(random.next()))
                case 2: candidate = IPAddress(v6: UInt128(random.next()) << 64 | UInt128(random.next()))
                default: candidate = .v4(UInt32(truncatingIfNeeded: random.next()))
                }
                if isTrusted(candidate) == wanted { return candidate }
            }
        }
        func render(_ address: IPAddress) -> String {
            let withPort = random.next() % 3 == 0
            switch address {
            case .v4: return withPort ? "\(address):\(random.next() % 65536)" : "\(address)"
            case .v6: return withPort ? "[\(address)]:\(random.next() % 65536)" : (random.next() % 2 == 0 ? "[\(address)]" : "\(address)")
            }
        }

        for iteration in 0..<2_000 {
            let peerTrusted = random.next() % 4 != 0
            let peer = randomAddress(trusted: peerTrusted)
            let chain = (0..<Int(random.next() % 6)).map { _ in randomAddress(trusted: random.next() % 2 == 0) }

            // Split the chain over 1...3 header fields, with random spacing after commas.
            var fields: [String] = []
            var current: [String] = []
            for hop in chain {
                current.append(render(hop))
                if random.next() % 3 == 0 {
                    fields.append(current.joined(separator: random.next() % 2 == 0 ? ", " : ","))
                    current = []
                }
            }
            if !current.isEmpty { fields.append(current.joined(separator: ",  ")) }

            let expected: IPAddress
            if !peerTrusted || chain.isEmpty {
                expected = peer
            } else {
                expected = chain.last { !isTrusted($0) } ?? chain.first!
            }
            let resolved = resolver.resolve(peer: peer, forwardedFor: fields.map { Substring($0) })
            #expect(resolved == expected, "iteration \(iteration): peer \(peer), X-Forwarded-For \(fields)")
        }
    }
}
