/// Header-name comparisons without allocating: a header name from the wire against a name a
/// policy stored in lowercase.
enum ASCIICaseInsensitive {
    @inline(__always)
    static func equals(_ name: String, lowercased: String) -> Bool {
        let a = name.utf8, b = lowercased.utf8
        guard a.count == b.count else { return false }
        if let result = a.withContiguousStorageIfAvailable({ left in
            b.withContiguousStorageIfAvailable { right in compare(left, right) }
        }), let result {
            return result
        }
        return zip(a, b).allSatisfy { pair in
            var byte = pair.0
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            return byte == pair.1
        }
    }

    @inline(__always)
    private static func compare(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<left.count {
            var byte = left[index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != right[index] { return false }
        }
        return true
    }
}
