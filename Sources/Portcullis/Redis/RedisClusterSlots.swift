/// A Redis Cluster's slot map as `CLUSTER SLOTS` reports it: which master serves each of the
/// 16384 hash slots, and the slot of a key (CRC16/XMODEM of its hash tag, modulo 16384).
struct RedisClusterSlots {
    static let count = 16384

    /// The masters, by index.
    private(set) var nodes: [RedisEndpoint] = []
    /// The index in `nodes` of each slot's master; -1: no master known.
    private var owners: [Int16]

    init() {
        owners = Array(repeating: -1, count: Self.count)
    }

    /// Reads a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id], replicas…], …]`.
    init?(reply: RedisReply) {
        guard case .array(let ranges) = reply else { return nil }
        self.init()
        for range in ranges {
            guard case .array(let fields) = range, fields.count >= 3,
                let start = fields[0].integer, let end = fields[1].integer, start >= 0, end < Self.count, start <= end,
                case .array(let master) = fields[2], master.count >= 2,
                let host = master[0].text, Self.isUsable(host: host), let port = master[1].integer, (1...65535).contains(port)
            else { return nil }
            let index = node(RedisEndpoint.tcp(host: host, port: Int(port)))
            for slot in Int(start)...Int(end) { owners[slot] = index }
        }
        if nodes.isEmpty { return nil }
    }

    /// The master of `slot`, if known.
    func owner(of slot: Int) -> RedisEndpoint? {
        let index = owners[slot]
        return index < 0 ? nil : nodes[Int(index)]
    }

    /// A `MOVED` answer: `slot` now lives at `endpoint`.
    mutating func move(slot: Int, to endpoint: RedisEndpoint) {
        owners[slot] = node(endpoint)
    }

    private mutating func node(_ endpoint: RedisEndpoint) -> Int16 {
        if let index = nodes.firstIndex(of: endpoint) { return Int16(index) }
        nodes.append(endpoint)
        return Int16(nodes.count - 1)
    }

    /// The slot of `key`: only the part between the first `{` and the next `}` counts when it is
    /// not empty, so `{login:ab12}:p` and `{login:ab12}:60` share a slot.
    static func slot<Bytes: Collection>(of key: Bytes) -> Int where Bytes.Element == UInt8 {
        var tag = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let rest = key[key.index(after: open)...]
            if let close = rest.firstIndex(of: UInt8(ascii: "}")), close != rest.startIndex {
                tag = key[rest.startIndex..<close]
            }
        }
        return Int(crc16(tag) & 0x3FFF)
    }

    static func slot(of key: String) -> Int { slot(of: Array(key.utf8)) }

    /// CRC16/XMODEM (polynomial 0x1021, initial 0), as the Redis Cluster specification defines it.
    static func crc16<Bytes: Collection>(_ bytes: Bytes) -> UInt16 where Bytes.Element == UInt8 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }

    /// Parses the `slot host:port` of a `MOVED` or `ASK` error; nil unless the endpoint is usable.
    static func redirection(_ error: String) -> (slot: Int, endpoint: RedisEndpoint)? {
        let words = error.split(separator: " ")
        guard words.count >= 3, let slot = Int(words[1]), (0..<count).contains(slot), let address = HostPort(String(words[2])),
            isUsable(host: address.host), address.port > 0
        else { return nil }
        return (slot, .tcp(host: address.host, port: address.port))
    }

    /// A host name or address as Redis reports one: printable ASCII without spaces. Anything else
    /// would only cost a failed connection (and a connection pool kept for it).
    static func isUsable(host: String) -> Bool {
        !host.isEmpty && host.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
