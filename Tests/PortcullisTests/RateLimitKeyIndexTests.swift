import PropertyBased
import Testing
@testable import Portcullis

/// The shard's open-addressing index behaves as a dictionary, through growth and removals.
@Suite struct RateLimitKeyIndexTests {
    @Test func behavesLikeADictionary() async {
        // Few distinct primaries, many operations: probe runs collide, wrap and shift.
        await propertyCheck(count: 200, input: Gen.int(in: 0...200).array(of: 1...2_000)) { operations in
            var index = RateLimitKeyIndex()
            var model: [UInt64: Int32] = [:]
            for (step, operation) in operations.enumerated() {
                // Primaries sharing low bits, so they land in the same home entries.
                let primary = UInt64(operation % 97) << 32 | UInt64(operation % 7)
                if operation % 3 == 0 {
                    index.remove(primary)
                    model[primary] = nil
                } else {
                    index.set(primary, slot: Int32(step))
                    model[primary] = Int32(step)
                }
                #expect(index.count == model.count)
            }
            for operation in 0...200 {
                let primary = UInt64(operation % 97) << 32 | UInt64(operation % 7)
                #expect(index[primary] == model[primary])
            }
        }
    }
}
