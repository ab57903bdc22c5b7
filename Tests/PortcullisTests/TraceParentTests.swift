@testable import Portcullis
import Testing
import W3CTraceContext

struct TraceParentTests {
    @Test func aNewTraceIsAValidHeaderTheLibraryReadsBack() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let trace = TraceParent(clientValue: nil, random: &random)
            #expect(!trace.continued)
            #expect(trace.value.utf8.count == 55)
            let parsed = try TraceContext(traceParentHeaderValue: trace.value)
            #expect(parsed.traceID.description == trace.traceID)
            #expect(parsed.traceParentHeaderValue == trace.value)
        }
    }

    @Test func digitsAreWrittenMostSignificantFirst() {
        #expect(TraceParent.header(traceHigh: 0x0123_4567_89ab_cdef, traceLow: 0xfedc_ba98_7654_3210, span: 0xa) == "00-0123456789abcdeffedcba9876543210-000000000000000a-00")
    }

    @Test func aValidClientTraceIsKeptAndAnInvalidOneReplaced() {
        var random = SplitMix64(seed: 1)
        let client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let kept = TraceParent(clientValue: client, random: &random)
        #expect(kept.continued && kept.value == client && kept.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        let replaced = TraceParent(clientValue: "00-00000000000000000000000000000000-00f067aa0ba902b7-01", random: &random)
        #expect(!replaced.continued && replaced.value != client)
    }
}
