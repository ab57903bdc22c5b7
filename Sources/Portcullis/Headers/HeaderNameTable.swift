/// The header names one `HeaderActions` looks for, lowercased and stored back to back, so that a
/// response's fields are checked against all of them without touching a String's reference count.
struct HeaderNameTable: Sendable {
    private let bytes: [UInt8]
    private let starts: [Int]
    private let lengths: [Int]
    /// Bit n: some name is n bytes long (n < 64); most fields are rejected by this one test.
    private let lengthMask: UInt64
    /// Some name is 64 bytes or longer.
    let hasLongNames: Bool
    /// For each length n < 64, bit i: name i (i < 64) is n bytes long.
    private let namesOfLength: [UInt64]

    var count: Int { lengths.count }

    init(_ lowercasedNames: [String]) {
        var bytes: [UInt8] = [], starts: [Int] = [], lengths: [Int] = []
        var mask: UInt64 = 0
        var long = false
        for name in lowercasedNames {
            starts.append(bytes.count)
            lengths.append(name.utf8.count)
            bytes.append(contentsOf: name.utf8)
            if name.utf8.count < 64 { mask |= 1 << UInt64(name.utf8.count) } else { long = true }
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
        self.lengthMask = mask
        self.hasLongNames = long
        var byLength = [UInt64](repeating: 0, count: 64)
        for (index, length) in lengths.enumerated() where index < 64 && length < 64 {
            byLength[length] |= 1 << UInt64(index)
        }
        self.namesOfLength = byLength
    }

    /// Which names of the table `name` equals.
    struct Matches {
        /// Bit i: name i equals `name`, ASCII case-insensitively.
        var exact: UInt64 = 0
        /// Bit i: name i equals `name` compared by `byte & 0xDF`, as `HTTPHeaders.remove(name:)`
        /// compares (a superset of `exact`: it also takes `~` for `^`).
        var nameLike: UInt64 = 0
    }

    /// Only for a table of at most 64 names, none of them 64 bytes or longer (`HeaderActions`
    /// checks; `presence` serves the rest).
    @inline(__always)
    func matches(_ name: String) -> Matches {
        let length = name.utf8.count
        guard length < 64, lengthMask & (1 << UInt64(length)) != 0 else { return Matches() }
        let candidates = namesOfLength[length]
        if let result = name.utf8.withContiguousStorageIfAvailable({ matches($0, among: candidates) }) {
            return result
        }
        let copy = Array(name.utf8)
        return copy.withUnsafeBufferPointer { matches($0, among: candidates) }
    }

    @inline(__always)
    private func matches(_ name: UnsafeBufferPointer<UInt8>, among candidates: UInt64) -> Matches {
        var found = Matches()
        var remaining = candidates
        bytes.withUnsafeBufferPointer { table in
            starts.withUnsafeBufferPointer { starts in
                while remaining != 0 {
                    let index = remaining.trailingZeroBitCount
                    remaining &= remaining - 1
                    let start = starts[index]
                    var exact = true, nameLike = true
                    for offset in 0..<name.count {
                        var byte = name[offset]
                        let expected = table[start + offset]
                        if byte & 0xDF != expected & 0xDF { nameLike = false; exact = false; break }
                        if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
                        if byte != expected { exact = false }
                    }
                    if exact { found.exact |= 1 << UInt64(index) }
                    if nameLike { found.nameLike |= 1 << UInt64(index) }
                }
            }
        }
        return found
    }

    /// For each name of the table (the first 64), whether some field has it (ASCII case-insensitive).
    func presence<Fields: Sequence>(in fields: Fields) -> UInt64 where Fields.Element == (name: String, value: String) {
        var present: UInt64 = 0
        bytes.withUnsafeBufferPointer { table in
            for field in fields {
                let length = field.name.utf8.count
                guard length < 64 ? lengthMask & (1 << UInt64(length)) != 0 : hasLongNames else { continue }
                _ = field.name.utf8.withContiguousStorageIfAvailable { name in
                    for index in 0..<min(lengths.count, 64) where lengths[index] == length {
                        if Self.equal(name, table, from: starts[index]) { present |= 1 << UInt64(index) }
                    }
                }
            }
        }
        return present
    }

    @inline(__always)
    private static func equal(_ name: UnsafeBufferPointer<UInt8>, _ table: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        for offset in 0..<name.count {
            var byte = name[offset]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != table[start + offset] { return false }
        }
        return true
    }
}
