import Testing
@testable import Portcullis

@Suite struct SpellingTests {
    static let routeKeys = ["name", "hosts", "path_prefix", "upstream", "max_body_bytes", "websocket"]

    @Test func suggestsAddressForAdress() {
        #expect(Spelling.closest(to: "adress", among: ["name", "address", "server_names"]) == "address")
    }

    @Test func suggestsUpstreamForUpstreem() {
        #expect(Spelling.closest(to: "upstreem", among: Self.routeKeys) == "upstream")
    }

    @Test func nothingCloseGivesNil() {
        #expect(Spelling.closest(to: "frobnicate", among: Self.routeKeys) == nil)
        #expect(Spelling.closest(to: "x", among: []) == nil)
    }

    @Test func comparisonIgnoresCase() {
        #expect(Spelling.closest(to: "ADRESS", among: ["address"]) == "address")
    }

    @Test func picksTheClosestOfSeveralCandidates() {
        // 'listners' is one edit from 'listeners' and further from everything else.
        let topLevel = ["workers", "listeners", "admin", "trusted_proxies", "limits", "timeouts", "upstreams", "routes"]
        #expect(Spelling.closest(to: "listners", among: topLevel) == "listeners")
        #expect(Spelling.closest(to: "timeout", among: topLevel) == "timeouts")
    }

    @Test func editDistance() {
        #expect(Spelling.editDistance(Array("kitten".utf8), Array("sitting".utf8)) == 3)
        #expect(Spelling.editDistance([], Array("abc".utf8)) == 3)
        #expect(Spelling.editDistance(Array("same".utf8), Array("same".utf8)) == 0)
    }
}
