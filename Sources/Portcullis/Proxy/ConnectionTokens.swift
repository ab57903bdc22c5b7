/// The tokens of a `Connection` header: the three with meaning, plus any header names it nominates
/// as hop-by-hop (those must not be forwarded either).
struct ConnectionTokens {
    var close = false
    var keepAlive = false
    var upgrade = false
    /// Lowercased names of other nominated headers; empty (no allocation) in the common case.
    var nominated: [String] = []

    mutating func add(_ value: String) {
        let bytes = value.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var end = index
            while end < bytes.endIndex, bytes[end] != UInt8(ascii: ",") { end = bytes.index(after: end) }
            var start = index
            var last = end
            while start < last, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start = bytes.index(after: start) }
            while last > start, bytes[bytes.index(before: last)] == UInt8(ascii: " ") || bytes[bytes.index(before: last)] == UInt8(ascii: "\t") { last = bytes.index(before: last) }
            let token = bytes[start..<last]
            if token.isEmpty {
            } else if Self.equalsIgnoringCase(token, "close") {
                close = true
            } else if Self.equalsIgnoringCase(token, "keep-alive") {
                keepAlive = true
            } else if Self.equalsIgnoringCase(token, "upgrade") {
                upgrade = true
            } else {
                nominated.append(String(Substring(token)).lowercased())
            }
            index = end < bytes.endIndex ? bytes.index(after: end) : end
        }
    }

    /// Whether `name` is one the Connection header nominated (case-insensitive).
    func nominates(_ name: String) -> Bool {
        guard !nominated.isEmpty else { return false }
        let lowered = name.lowercased()
        return nominated.contains(lowered)
    }

    static func equalsIgnoringCase<Bytes: Collection>(_ bytes: Bytes, _ literal: String) -> Bool where Bytes.Element == UInt8 {
        guard bytes.count == literal.utf8.count else { return false }
        return zip(bytes, literal.utf8).allSatisfy { byte, expected in
            (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == expected
        }
    }
}
