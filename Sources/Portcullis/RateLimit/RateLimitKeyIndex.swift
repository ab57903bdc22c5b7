/// A shard's map from a key's primary hash to its slot: open addressing with linear probing.
/// The primary is already a keyed SipHash of the client's key, so its low bits spread well;
/// `Dictionary` would hash it a second time, which was a sixth of a decision's cost.
struct RateLimitKeyIndex {
    private var primaries: [UInt64]
    /// The slot for each entry; -1 marks an empty entry.
    private var slots: [Int32]
    private var mask: Int
    private(set) var count = 0

    init() {
        primaries = Array(repeating: 0, count: 64)
        slots = Array(repeating: -1, count: 64)
        mask = 63
    }

    /// The high half: the store picks the shard from low bits, which every key of a shard
    /// therefore shares; homing on them would put the whole shard in one probe run.
    @inline(__always)
    private func home(_ primary: UInt64) -> Int { Int(truncatingIfNeeded: primary >> 32) & mask }

    /// The entry holding `primary`, or the empty entry where it would go.
    @inline(__always)
    private func position(of primary: UInt64) -> Int {
        var entry = home(primary)
        while slots[entry] >= 0, primaries[entry] != primary { entry = (entry + 1) & mask }
        return entry
    }

    subscript(primary: UInt64) -> Int32? {
        let slot = slots[position(of: primary)]
        return slot >= 0 ? slot : nil
    }

    mutating func set(_ primary: UInt64, slot: Int32) {
        // At most half full, so probe sequences stay short.
        if (count + 1) * 2 > slots.count { grow() }
        let entry = position(of: primary)
        if slots[entry] < 0 { count += 1 }
        primaries[entry] = primary
        slots[entry] = slot
    }

    mutating func remove(_ primary: UInt64) {
        var hole = position(of: primary)
        guard slots[hole] >= 0 else { return }
        slots[hole] = -1
        count -= 1
        // Backward shift: move later entries of the probe run into the hole, so that lookups
        // never stop early at it (no tombstones to accumulate).
        var next = (hole + 1) & mask
        while slots[next] >= 0 {
            let wanted = home(primaries[next])
            // The entry may move to the hole only if its home is not cyclically in (hole, next].
            let stays = hole <= next ? (wanted > hole && wanted <= next) : (wanted > hole || wanted <= next)
            if !stays {
                primaries[hole] = primaries[next]
                slots[hole] = slots[next]
                slots[next] = -1
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    private mutating func grow() {
        let oldPrimaries = primaries
        let oldSlots = slots
        let size = slots.count * 2
        primaries = Array(repeating: 0, count: size)
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        count = 0
        for entry in oldSlots.indices where oldSlots[entry] >= 0 {
            let position = position(of: oldPrimaries[entry])
            primaries[position] = oldPrimaries[entry]
            slots[position] = oldSlots[entry]
            count += 1
        }
    }
}
