/// Which sampleable lines are kept: the decision is a hash of the request id against a threshold,
/// so it is the same on every run and every instance (a request id found in one log can be
/// looked for in another) and costs a few multiplications, no random number generator.
public struct AccessLogSampling: Sendable {
    /// Lines whose hash is below this are kept; `keepAll` short-cuts the usual 1.0.
    let threshold: UInt64
    let keepAll: Bool

    /// `rate` from 0.0 (none) to 1.0 (all).
    public init(rate: Double) {
        let clamped = min(max(rate, 0), 1)
        keepAll = clamped >= 1
        threshold = keepAll ? .max : UInt64(clamped * 18_446_744_073_709_551_616.0)
    }

    public func keeps(requestId: String) -> Bool {
        keepAll || Self.hash(requestId) < threshold
    }

    /// FNV-1a over the id's bytes, then a SplitMix64 finalizer so that ids differing in one
    /// character (sequential ids from an upstream proxy) still spread evenly.
    static func hash(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 30
        hash &*= 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 27
        hash &*= 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return hash
    }
}
