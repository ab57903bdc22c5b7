#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Portcullis

@Suite struct IPAddressTests {
    @Test func parsesIPv4() {
        #expect(IPAddress("192.0.2.1") == .v4(0xC000_0201))
        #expect(IPAddress("0.0.0.0") == .v4(0))
        #expect(IPAddress("255.255.255.255") == .v4(.max))
    }

    @Test func parsesIPv6() {
        #expect(IPAddress("2001:db8::1") == .v6(0x2001_0db8_0000_0000_0000_0000_0000_0001))
        #expect(IPAddress("::1") == .v6(1))
        #expect(IPAddress("::") == .v6(0))
    }

    @Test func bracketsAndZoneAreIgnored() {
        #expect(IPAddress("[2001:db8::1]") == IPAddress("2001:db8::1"))
        #expect(IPAddress("fe80::1%eth0") == IPAddress("fe80::1"))
        #expect(IPAddress("[fe80::1%eth0]") == IPAddress("fe80::1"))
        #expect(IPAddress("fe80::1%eth0") != nil)
    }

    @Test func ipv4MappedIPv6IsTheIPv4Address() throws {
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        #expect(mapped == IPAddress("192.0.2.1"))
        #expect(mapped == .v4(0xC000_0201))
        #expect(mapped.description == "192.0.2.1")
        #expect(IPAddress("[::ffff:c000:201]") == .v4(0xC000_0201))
    }

    @Test func ipv4CompatibleIsNotMapped() {
        // Only ::ffff:0:0/96 is IPv4-mapped; ::1 and 64:ff9b::/96 stay IPv6.
        #expect(IPAddress("::1") == .v6(1))
        guard case .v6 = IPAddress("64:ff9b::192.0.2.1") else {
            Issue.record("64:ff9b::192.0.2.1 must stay an IPv6 address")
            return
        }
    }

    @Test(arguments: ["", "256.1.1.1", "1.2.3", "1.2.3.4.5", "example.com", "1.2.3.4:80", "[::1", "::1]", "2001:db8::g", "[]", " 1.2.3.4", "1.2.3.4/32", "%eth0", "01.2.3.4"])
    func rejectsInvalidAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: ["192.0.2.1", "10.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::", "fe80::1:2:3:4", "2001:db8:0:1:2:3:4:5"])
    func descriptionRoundTrips(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
        #expect(IPAddress(address.description) == address)
    }

    @Test func ipv6DescriptionIsCanonical() {
        #expect(IPAddress("2001:0DB8:0000:0000:0000:0000:0000:0001")?.description == "2001:db8::1")
    }

    @Test func randomIPv4AddressesRoundTripThroughDescription() {
        var random = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<5_000 {
            let value = UInt32(truncatingIfNeeded: random.next())
            let address = IPAddress.v4(value)
            #expect(IPAddress(address.description) == address, "\(address)")
        }
    }

    @Test func randomIPv6AddressesRoundTripThroughDescription() {
        var random = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<5_000 {
            var value = UInt128(random.next()) << 64 | UInt128(random.next())
            // Zero some 16-bit groups so that '::' compression is exercised.
            for group in 0..<8 where random.next() % 3 == 0 {
                value &= ~(UInt128(0xFFFF) << (16 * group))
            }
            let address = IPAddress(v6: value)
            #expect(IPAddress(address.description) == address, "\(address)")
        }
    }
}

/// The byte-wise IPv4 parser reads exactly what `inet_pton` reads.
struct IPv4ParserAgreesWithInetPton {
    static func inetPton(_ text: String) -> UInt32? {
        var storage = in_addr()
        guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
        return UInt32(bigEndian: storage.s_addr)
    }

    @Test(arguments: ["0.0.0.0", "255.255.255.255", "192.0.2.1", "01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3", "1.2.3.4.5",
                      "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", "a.b.c.d", "1.2.3.0x4", "999.1.1.1", "1.2.3.-4", ""])
    func knownCases(text: String) {
        #expect(IPAddress.parseIPv4(Substring(text).utf8[...]) == Self.inetPton(text), "\(text)")
    }

    @Test func randomDottedStrings() {
        var random = SplitMix64(seed: 42)
        let alphabet = Array("0123456789.".utf8) + [UInt8(ascii: "x")]
        for _ in 0..<20_000 {
            let length = Int(random.next() % 17)
            let text = String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            #expect(IPAddress.parseIPv4(Substring(text).utf8[...]) == Self.inetPton(text), "\(text)")
        }
    }
}
