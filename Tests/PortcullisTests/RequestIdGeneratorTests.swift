import Testing
@testable import Portcullis

@Suite struct RequestIdGeneratorTests {
    @Test func idsAreFifteenLowercaseBase32Characters() {
        let generator = RequestIdGenerator()
        let alphabet = Set("0123456789abcdefghjkmnpqrstvwxyz".utf8)
        for _ in 0..<1_000 {
            let id = generator.make()
            #expect(id.utf8.count == 15)
            #expect(id.utf8.allSatisfy { alphabet.contains($0) }, "\(id)")
        }
    }

    @Test func tenThousandIdsAreUnique() {
        let generator = RequestIdGenerator()
        let ids = (0..<10_000).map { _ in generator.make() }
        #expect(Set(ids).count == 10_000)
    }

    @Test func twoGeneratorsDoNotRepeatEachOther() {
        let first = RequestIdGenerator()
        let second = RequestIdGenerator()
        let ids = Set((0..<1_000).map { _ in first.make() })
        #expect((0..<1_000).allSatisfy { _ in !ids.contains(second.make()) })
    }

    @Test(arguments: ["abc-123_x.y:z", "a", "0123456789abcdef0123456789abcdef", "ABC", String(repeating: "x", count: 128)])
    func acceptsPlainIds(id: String) {
        #expect(RequestIdGenerator.isAcceptable(id))
    }

    @Test(arguments: ["", String(repeating: "x", count: 129), "has space", "quote\"d", "single'quote", "caf\u{E9}", "line\nbreak", "tab\t", "a/b", "a;b", "a,b", "日本"])
    func rejectsOtherIds(id: String) {
        #expect(!RequestIdGenerator.isAcceptable(id))
    }
}
