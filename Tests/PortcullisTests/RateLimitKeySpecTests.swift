import NIOHTTP1
import Testing
@testable import Portcullis

@Suite struct RateLimitKeySpecTests {
    private func spec(_ text: String) throws -> RateLimitKeySpec {
        try RateLimitKeySpec.parse(text, path: "key").get()
    }

    private func key(_ spec: RateLimitKeySpec, client: String, headers: [(String, String)] = []) -> RateLimitKey? {
        guard case .key(let key) = spec.key(fingerprint: 42, client: IPAddress(client)!, headers: HTTPHeaders(headers), tokens: nil, now: 0) else { return nil }
        return key
    }

    @Test func parsesEveryKind() throws {
        #expect(try spec("ip").parts == [.address])
        #expect(try spec("ip/24").parts == [.ipv4Prefix(24)])
        #expect(try spec("ip6/64").parts == [.ipv6Prefix(64)])
        #expect(try spec("header:X-Api-Key").parts == [.header("x-api-key")])
        #expect(try spec("cookie:session").parts == [.cookie("session")])
        #expect(try spec("jwt:sub").parts == [.jwtClaim("sub")])
        #expect(try spec("ip+header:X-Api-Key").description == "ip+header:x-api-key")
        #expect(try spec("ip/24+cookie:sid").kinds == "ip+cookie")
    }

    @Test func refusesWithPreciseMessages() {
        func message(_ text: String) -> String? {
            if case .failure(let error) = RateLimitKeySpec.parse(text, path: "rate_limits[0].key") { return error.message }
            return nil
        }
        #expect(message("ipp") == "rate_limits[0].key has the unknown key kind 'ipp' in 'ipp'; did you mean 'ip'?")
        #expect(message("haeder:X") == "rate_limits[0].key has the unknown key kind 'haeder' in 'haeder:X'; did you mean 'header'?")
        #expect(message("ip/33") == "rate_limits[0].key has 'ip/33'; expected ip/N with N from 1 to 32, like ip/24")
        #expect(message("ip6/0") == "rate_limits[0].key has 'ip6/0'; expected ip6/N with N from 1 to 128, like ip6/64")
        #expect(message("ip+ip") == "rate_limits[0].key names 'ip' twice in 'ip+ip'; expected each part once")
        #expect(message("session:abc") == "rate_limits[0].key has the unknown key kind 'session' in 'session:abc'; expected ip, ip/24, ip6/64, header:NAME, cookie:NAME or jwt:CLAIM, or parts joined by '+'")
    }

    @Test func ipPrefixGroupsABlock() throws {
        let block = try spec("ip/24")
        let a = key(block, client: "203.0.113.7"), b = key(block, client: "203.0.113.250"), c = key(block, client: "203.0.114.7")
        #expect(a != nil && a == b)
        #expect(a != c)
        let whole = try spec("ip")
        #expect(key(whole, client: "203.0.113.7") != key(whole, client: "203.0.113.250"))
        // IPv6 clients of an ip/N rule are grouped by /64.
        #expect(key(block, client: "2001:db8:1:2::1") == key(block, client: "2001:db8:1:2:ffff::9"))
        #expect(key(block, client: "2001:db8:1:2::1") != key(block, client: "2001:db8:1:3::1"))
        let v6 = try spec("ip6/48")
        #expect(key(v6, client: "2001:db8:1:2::1") == key(v6, client: "2001:db8:1:ffff::1"))
        #expect(key(v6, client: "2001:db8:2::1") != key(v6, client: "2001:db8:1::1"))
    }

    @Test func compoundKeysNeedEveryPart() throws {
        let compound = try spec("ip+header:X-Api-Key")
        let one = key(compound, client: "198.51.100.1", headers: [("X-API-KEY", "k1")])
        #expect(one != nil)
        #expect(one == key(compound, client: "198.51.100.1", headers: [("x-api-key", " k1 ")]))
        #expect(one != key(compound, client: "198.51.100.1", headers: [("X-Api-Key", "k2")]))
        #expect(one != key(compound, client: "198.51.100.2", headers: [("X-Api-Key", "k1")]))
        #expect(key(compound, client: "198.51.100.1") == nil)
        #expect(key(compound, client: "198.51.100.1", headers: [("X-Api-Key", "")]) == nil)
        // Part boundaries count: the same bytes split differently are different keys.
        let two = try spec("header:A+header:B")
        #expect(key(two, client: "192.0.2.1", headers: [("A", "ab"), ("B", "c")]) != key(two, client: "192.0.2.1", headers: [("A", "a"), ("B", "bc")]))
    }

    @Test func cookiesAreFoundInAnyCookieField() throws {
        let cookie = try spec("cookie:sid")
        let a = key(cookie, client: "192.0.2.1", headers: [("Cookie", "theme=dark; sid=abc")])
        #expect(a != nil)
        #expect(a == key(cookie, client: "192.0.2.9", headers: [("Cookie", "x=1"), ("cookie", "sid=\"abc\"")]))
        #expect(key(cookie, client: "192.0.2.1", headers: [("Cookie", "SID=abc")]) == nil)
        #expect(key(cookie, client: "192.0.2.1", headers: [("Cookie", "sidx=abc")]) == nil)
    }

    @Test func bearerTokenSchemeIsCaseInsensitive() {
        #expect(RateLimitKeySpec.bearerToken(in: HTTPHeaders([("Authorization", "bearer abc.def.ghi")])) == "abc.def.ghi")
        #expect(RateLimitKeySpec.bearerToken(in: HTTPHeaders([("authorization", "Bearer  t ")])) == "t")
        #expect(RateLimitKeySpec.bearerToken(in: HTTPHeaders([("Authorization", "Basic dXNlcjpwdw==")])) == nil)
    }
}
