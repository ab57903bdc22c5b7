import NIOCore

/// One rule's `EVALSHA` (or `EVAL`) of `RedisRateLimitScript`, with everything but the client's
/// key laid out once when the rule is compiled: a decision only writes its key prefix
/// (`{rule:hash}`) into scratch memory beside them and has hiredis encode the whole argument list.
struct RedisRateLimitCommand: Sendable {
    enum Form {
        /// By the script's SHA-1: what every decision sends.
        case evalsha
        /// With the script's source: after `NOSCRIPT`, to load it where it is missing.
        case eval
    }

    /// `{` + the rule's name + `:`, before the key's hash.
    private let prefixHead: [UInt8]
    /// One per window (`:60000`) and the penalty's (`:p`).
    let keySuffixes: [[UInt8]]
    /// The script's arguments after the keys (`RedisRateLimitScript`'s ARGV).
    let arguments: [[UInt8]]
    /// What comes before the keys: the command, the script's SHA-1 or source, the key count.
    private let evalshaHead: [[UInt8]]
    private let evalHead: [[UInt8]]
    private static let evalsha = Array("EVALSHA".utf8), eval = Array("EVAL".utf8)
    private static let sha1 = Array(RedisRateLimitScript.sha1.utf8), source = Array(RedisRateLimitScript.source.utf8)

    /// `{rule:` + 16 hex digits + `}`.
    var prefixLength: Int { prefixHead.count + 17 }

    /// The encoded `EVALSHA`'s length (the same for every key): its buffer is allocated once,
    /// at its size. Each argument is `$` + its length + CRLF + itself + CRLF.
    var encodedEVALSHALength: Int {
        let arguments = evalshaHead + keySuffixes.map { [UInt8](repeating: 0, count: prefixLength + $0.count) } + self.arguments
        return arguments.reduce(String(arguments.count).utf8.count + 3) { $0 + 1 + String($1.count).utf8.count + 2 + $1.count + 2 }
    }

    init(ruleName: String, keySuffixes: [String], arguments: [String]) {
        prefixHead = Array("{\(ruleName):".utf8)
        self.keySuffixes = keySuffixes.map { Array($0.utf8) }
        self.arguments = arguments.map { Array($0.utf8) }
        let keyCount = Array(String(keySuffixes.count).utf8)
        evalshaHead = [Self.evalsha, Self.sha1, keyCount]
        evalHead = [Self.eval, Self.source, keyCount]
    }

    /// `{login:0123456789abcdef}`: the rule's name and the key's stable hash (never the client's
    /// value), between braces so every key of one decision lands in one cluster slot.
    func keyPrefix(check: UInt64) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: prefixLength) { buffer, count in
            count = writePrefix(check: check, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The cluster slot of every key of the decision for `check`.
    func slot(check: UInt64) -> Int {
        RedisClusterSlots.slot(of: keyPrefix(check: check))
    }

    /// Appends the encoded command for the client whose key hashes to `check` to `buffer`.
    func encode(_ form: Form, check: UInt64, into buffer: inout ByteBuffer) {
        let head = form == .evalsha ? evalshaHead : evalHead
        let argumentCount = head.count + keySuffixes.count + arguments.count
        var byteCount = head.reduce(0) { $0 + $1.count } + arguments.reduce(0) { $0 + $1.count }
        for suffix in keySuffixes { byteCount += prefixLength + suffix.count }
        withUnsafeTemporaryAllocation(byteCount: byteCount, alignment: 1) { scratch in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: argumentCount) { pointers in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: argumentCount) { lengths in
                    var offset = 0
                    var index = 0
                    func begin() { pointers[index] = UnsafePointer(scratch.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)) }
                    func append(_ bytes: [UInt8]) {
                        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: scratch[offset...]).copyMemory(from: $0) }
                        offset += bytes.count
                    }
                    func end(_ start: Int) {
                        lengths[index] = offset - start
                        index += 1
                    }
                    for bytes in head {
                        begin(); let start = offset; append(bytes); end(start)
                    }
                    for suffix in keySuffixes {
                        begin(); let start = offset
                        offset += writePrefix(check: check, into: UnsafeMutableRawBufferPointer(rebasing: scratch[offset...]))
                        append(suffix)
                        end(start)
                    }
                    for argument in arguments {
                        begin(); let start = offset; append(argument); end(start)
                    }
                    RedisCommandEncoder.encode(UnsafeBufferPointer(pointers), lengths: UnsafeBufferPointer(lengths), into: &buffer)
                }
            }
        }
    }

    /// Writes `{rule:hash}` at the start of `target`; returns its length.
    private func writePrefix(check: UInt64, into target: UnsafeMutableRawBufferPointer) -> Int {
        let digits: StaticString = "0123456789abcdef"
        prefixHead.withUnsafeBytes { target.copyMemory(from: $0) }
        var offset = prefixHead.count
        for shift in stride(from: 60, through: 0, by: -4) {
            target[offset] = digits.utf8Start[Int((check >> UInt64(shift)) & 0xF)]
            offset += 1
        }
        target[offset] = UInt8(ascii: "}")
        return offset + 1
    }
}
