/// The identity of one counted client for one rule, as two independent 64-bit hashes of the
/// rule's fingerprint and the key's parts: built without making a string per request. The first
/// is SipHash with the process's random seed (an attacker cannot aim collisions at it); the
/// second (FNV-1a) must match too, so two clients share a counter only if both collide.
public struct RateLimitKey: Sendable, Hashable {
    public let primary: UInt64
    public let check: UInt64

    public init(primary: UInt64, check: UInt64) {
        self.primary = primary
        self.check = check
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(primary)
    }

    /// Which shard of the store holds the key (the low bits; the dictionary inside a shard
    /// rehashes, so using them here costs nothing in spread).
    @inline(__always)
    func shard(mask: Int) -> Int { Int(truncatingIfNeeded: primary >> 7) & mask }
}

/// Accumulates a key's bytes into both hashes.
struct RateLimitKeyHasher {
    private var sip = Hasher()
    private var fnv: UInt64 = 0xCBF2_9CE4_8422_2325

    init(fingerprint: UInt64) {
        combine(fingerprint)
    }

    @inline(__always)
    mutating func combine(_ value: UInt64) {
        sip.combine(value)
        var v = value
        for _ in 0..<8 {
            fnv = (fnv ^ (v & 0xFF)) &* 0x0000_0100_0000_01B3
            v >>= 8
        }
    }

    @inline(__always)
    mutating func combine(bytes: UnsafeRawBufferPointer) {
        sip.combine(bytes: bytes)
        for byte in bytes { fnv = (fnv ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        // The length ends the part, so `ab`+`c` and `a`+`bc` differ.
        combine(UInt64(bytes.count))
    }

    mutating func combine<S: StringProtocol>(utf8 text: S) {
        if let done: Void = text.utf8.withContiguousStorageIfAvailable({ combine(bytes: UnsafeRawBufferPointer($0)) }) { return done }
        var copy = String(text)  // a bridged string: copied once
        copy.withUTF8 { combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    func finalize() -> RateLimitKey {
        RateLimitKey(primary: UInt64(truncatingIfNeeded: sip.finalize()), check: fnv)
    }
}
