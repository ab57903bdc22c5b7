/// Generates request ids without a syscall per request: a wyrand generator seeded once from the
/// system's randomness. One instance per event loop; not thread-safe by design.
final class RequestIdGenerator: RandomNumberGenerator {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// 15 characters of lowercase base32 (75 random bits): short enough for Swift's small-string
    /// form, so an id costs no allocation, and unique enough to find one request in years of logs.
    func make() -> String {
        var bits = next()
        let extra = next()
        return String(unsafeUninitializedCapacity: RequestIdGenerator.length) { buffer in
            let alphabet: StaticString = "0123456789abcdefghjkmnpqrstvwxyz"
            alphabet.withUTF8Buffer { symbols in
                for index in 0..<12 {
                    buffer[index] = symbols[Int(bits & 31)]
                    bits >>= 5
                }
                for index in 12..<15 {
                    buffer[index] = symbols[Int((extra >> (5 * UInt64(index - 12))) & 31)]
                }
            }
            return RequestIdGenerator.length
        }
    }

    static let length = 15

    /// A client-supplied id is kept (from trusted peers) only if it is short and plainly printable.
    static func isAcceptable(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 128 else { return false }
        return id.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }
}
