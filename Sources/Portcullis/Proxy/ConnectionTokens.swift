/// The tokens of a `Connection` header: the three with meaning, plus any header names it nominates
/// as hop-by-hop (those must not be forwarded either).
struct ConnectionTokens {
    var close = false
    var keepAlive = false
    var upgrade = false
    /// Lowercased names of other nominated headers; empty (no allocation) in the common case.
    var nominated: [String] = []

    mutating func add(_ value: String) {
        for token in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            var start = token.startIndex
            var end = token.endIndex
            while start < end, token[start] == UInt8(ascii: " ") || token[start] == UInt8(ascii: "\t") { start = token.index(after: start) }
            while end > start, token[token.index(before: end)] == UInt8(ascii: " ") || token[token.index(before: end)] == UInt8(ascii: "\t") { end = token.index(before: end) }
            let trimmed = token[start..<end]
            if trimmed.isEmpty { continue }
            if Self.equalsIgnoringCase(trimmed, "close") {
                close = true
            } else if Self.equalsIgnoringCase(trimmed, "keep-alive") {
                keepAlive = true
            } else if Self.equalsIgnoringCase(trimmed, "upgrade") {
                upgrade = true
            } else {
                nominated.append(String(decoding: trimmed, as: UTF8.self).lowercased())
            }
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
