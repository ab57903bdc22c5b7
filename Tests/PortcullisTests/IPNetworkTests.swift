import Testing
@testable import Portcullis

@Suite struct IPNetworkTests {
    private func address(_ text: String) throws -> IPAddress {
        try #require(IPAddress(text), "test address \(text) must parse")
    }

    @Test func parsesAndMasksTheBase() throws {
        let network = try #require(IPNetwork("10.1.2.3/8"))
        #expect(network.prefixLength == 8)
        #expect(network.base == .v4(0x0A00_0000))
        #expect(network.description == "10.0.0.0/8")
        #expect(IPNetwork("2001:db8:1234::1/32")?.description == "2001:db8::/32")
    }

    @Test func bareAddressIsAFullLengthPrefix() throws {
        let v4 = try #require(IPNetwork("192.0.2.1"))
        #expect(v4.prefixLength == 32)
        #expect(try v4.contains(address("192.0.2.1")))
        #expect(try !v4.contains(address("192.0.2.2")))
        let v6 = try #require(IPNetwork("::1"))
        #expect(v6.prefixLength == 128)
        #expect(v6.description == "::1/128")
    }

    @Test func slash0ContainsEveryAddressOfItsFamilyOnly() throws {
        let all4 = try #require(IPNetwork("0.0.0.0/0"))
        #expect(try all4.contains(address("0.0.0.0")))
        #expect(try all4.contains(address("255.255.255.255")))
        #expect(try !all4.contains(address("::1")))
        let all6 = try #require(IPNetwork("::/0"))
        #expect(try all6.contains(address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")))
        #expect(try all6.contains(address("::")))
        #expect(try !all6.contains(address("192.0.2.1")))
    }

    @Test func slash24Boundaries() throws {
        let network = try #require(IPNetwork("192.0.2.0/24"))
        #expect(try network.contains(address("192.0.2.0")))
        #expect(try network.contains(address("192.0.2.255")))
        #expect(try !network.contains(address("192.0.1.255")))
        #expect(try !network.contains(address("192.0.3.0")))
    }

    @Test func slash32Boundaries() throws {
        let network = try #require(IPNetwork("192.0.2.7/32"))
        #expect(try network.contains(address("192.0.2.7")))
        #expect(try !network.contains(address("192.0.2.6")))
        #expect(try !network.contains(address("192.0.2.8")))
    }

    @Test func slash64Boundaries() throws {
        let network = try #require(IPNetwork("2001:db8:0:1::/64"))
        #expect(try network.contains(address("2001:db8:0:1::")))
        #expect(try network.contains(address("2001:db8:0:1:ffff:ffff:ffff:ffff")))
        #expect(try !network.contains(address("2001:db8:0:0:ffff:ffff:ffff:ffff")))
        #expect(try !network.contains(address("2001:db8:0:2::")))
    }

    @Test func slash128Boundaries() throws {
        let network = try #require(IPNetwork("2001:db8::1/128"))
        #expect(try network.contains(address("2001:db8::1")))
        #expect(try !network.contains(address("2001:db8::")))
        #expect(try !network.contains(address("2001:db8::2")))
    }

    @Test func ipv4MappedClientsMatchIPv4Networks() throws {
        let network = try #require(IPNetwork("10.0.0.0/8"))
        #expect(try network.contains(address("::ffff:10.1.2.3")))
        #expect(try !network.contains(address("::ffff:11.1.2.3")))
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "/8", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0/abc", "", "example.com/8", "10.0.0.0 /8"])
    func rejectsInvalidCIDRs(text: String) {
        #expect(IPNetwork(text) == nil)
    }
}
