import NIOCore
import Testing
@testable import Portcullis

/// hiredis's reader on the bytes a Redis server sends (RESP2), fed whole and in every split.
@Suite struct RedisReplyDecoderTests {
    private func decode(_ chunks: [String]) throws -> [RedisReply] {
        let decoder = RedisReplyDecoder()
        var replies: [RedisReply] = []
        for chunk in chunks {
            try decoder.feed(ByteBuffer(string: chunk))
            while let reply = try decoder.next() { replies.append(reply) }
        }
        return replies
    }

    @Test func everyKindOfReply() throws {
        let bytes = "+OK\r\n-NOSCRIPT No matching script. Please use EVAL.\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$-1\r\n$0\r\n\r\n*-1\r\n*0\r\n"
        #expect(try decode([bytes]) == [
            .status("OK"), .error("NOSCRIPT No matching script. Please use EVAL."), .integer(42), .integer(-7),
            .bulk(Array("hello".utf8)), .bulk(nil), .bulk([]), .bulk(nil), .array([]),
        ])
        #expect(try decode([bytes])[1].errorCode == "NOSCRIPT")
    }

    @Test func theRateLimitScriptsAnswerAndNestedArrays() throws {
        // What EVALSHA of the rate-limit script returns, and a CLUSTER SLOTS reply.
        let decision = "*6\r\n:0\r\n:0\r\n:9\r\n:59999000\r\n:0\r\n:0\r\n"
        let replies = try decode([decision])
        #expect(replies == [.array([.integer(0), .integer(0), .integer(9), .integer(59_999_000), .integer(0), .integer(0)])])
        let parsed = try RedisRateLimitStore.decision(from: replies[0], windows: 1)
        #expect(parsed.verdict == .allowed)
        #expect(parsed.remaining == 9)
        #expect(parsed.reset == 59_999_000_000)

        let slots = "*2\r\n*3\r\n:0\r\n:8191\r\n*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$4\r\nabcd\r\n*3\r\n:8192\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:7002\r\n$4\r\nefgh\r\n"
        let map = try #require(RedisClusterSlots(reply: try decode([slots])[0]))
        #expect(map.owner(of: 0) == .tcp(host: "127.0.0.1", port: 7001))
        #expect(map.owner(of: 8191) == .tcp(host: "127.0.0.1", port: 7001))
        #expect(map.owner(of: 8192) == .tcp(host: "127.0.0.1", port: 7002))
        #expect(map.owner(of: 16383) == .tcp(host: "127.0.0.1", port: 7002))
    }

    /// Found by the fuzz target `redis-reply`: a reply naming a window the rule does not have was
    /// taken as a decision, and building its `RateLimit` field then crashed the gateway.
    @Test func aScriptReplyOfTheWrongShapeIsAStoreErrorNotADecision() throws {
        func integers(_ values: [Int64]) -> RedisReply { .array(values.map(RedisReply.integer)) }
        let wrong: [RedisReply] = [
            integers([0, 2, 9, 1_000, 0, 0]),  // window 2 of a rule with two (0 and 1)
            integers([3, 0, 9, 1_000, 0, 0]),  // no such verdict
            integers([1, 0, -1, 1_000, 0, 0]),
            integers([1, 0, 0, .max, 0, 0]),  // microseconds that overflow as nanoseconds
            integers([2, 0, 0, 1_000, -5, 0]),
            integers([2, 0, 0, 1_000, 0, .max]),
            integers([0, 0, 9, 1_000, 0]),
            .array(Array(repeating: .bulk(Array("0".utf8)), count: 6)),
            .array([.integer(0), .integer(0), .integer(9), .status("OK"), .integer(0), .integer(0)]),
            .error("ERR Error running script: @user_script:1: script killed"),
            .status("OK"), .integer(0), .bulk(nil),
        ]
        for reply in wrong {
            #expect(throws: RedisError.self, "\(reply)") { try RedisRateLimitStore.decision(from: reply, windows: 2) }
        }
        let banned = try RedisRateLimitStore.decision(from: integers([2, 1, 0, 900_000_000, 1_763_870_000_000_000, 3]), windows: 2)
        #expect(banned.verdict == .banned && banned.window == 1 && banned.reset == 900_000_000_000 && banned.banLevel == 3)
    }

    @Test func aSlotMapWithAnUnusableNodeIsRefused() {
        func map(host: RedisReply, port: Int64) -> RedisClusterSlots? {
            RedisClusterSlots(reply: .array([.array([.integer(0), .integer(16383), .array([host, .integer(port)])])]))
        }
        #expect(map(host: .bulk(Array("127.0.0.1".utf8)), port: 7000) != nil)
        for port: Int64 in [0, -1, 65536, .max] {
            #expect(map(host: .bulk(Array("127.0.0.1".utf8)), port: port) == nil, "port \(port)")
        }
        #expect(map(host: .bulk([]), port: 7000) == nil)
        #expect(map(host: .bulk(Array("a b".utf8)), port: 7000) == nil)
        #expect(map(host: .bulk(nil), port: 7000) == nil)
    }

    @Test func repliesSplitAtEveryByteAreTheSame() throws {
        let bytes = "*3\r\n$3\r\nabc\r\n:12\r\n*1\r\n+PONG\r\n-MOVED 3999 127.0.0.1:6381\r\n"
        let whole = try decode([bytes])
        #expect(whole.count == 2)
        let characters = Array(bytes)
        for cut in 1..<characters.count {
            #expect(try decode([String(characters[..<cut]), String(characters[cut...])]) == whole, "cut at \(cut)")
        }
        #expect(try decode(characters.map { String($0) }) == whole)
    }

    @Test func garbageIsAProtocolError() {
        #expect(throws: RedisReplyDecoder.ProtocolError.self) { try decode(["?what\r\n"]) }
    }

    /// Found by the fuzz target `redis-reply`: hiredis allocated an array's element table from its
    /// header alone, so a reply `*900000000` asked for 7.2 GB before a single element arrived.
    @Test func anArrayHeaderBeyondTheLimitIsAProtocolErrorWithoutAllocatingIt() throws {
        #expect(throws: RedisReplyDecoder.ProtocolError.self) { try decode(["*900000000\r\n"]) }
        #expect(throws: RedisReplyDecoder.ProtocolError.self) { try decode(["*1\r\n*65537\r\n"]) }
        #expect(throws: RedisReplyDecoder.ProtocolError.self) { try decode(["*-5\r\n"]) }
        let large = "*65536\r\n" + String(repeating: ":1\r\n", count: 65536)
        #expect(try decode([large]) == [.array(Array(repeating: .integer(1), count: 65536))])
        #expect(try decode(["*-1\r\n*0\r\n"]) == [.bulk(nil), .array([])])
    }

    @Test func commandsAreEncodedByHiredis() {
        var buffer = RedisCommandEncoder.encode(["SET", "{a}:1", "", "ünï"])
        #expect(buffer.readString(length: buffer.readableBytes) == "*4\r\n$3\r\nSET\r\n$5\r\n{a}:1\r\n$0\r\n\r\n$5\r\nünï\r\n")
    }

    @Test func aRulesScriptCallIsTheArgumentListHiredisEncodes() {
        // Laid out once per rule, with the key written per decision: the same bytes as encoding
        // every argument as a string, for EVALSHA and EVAL, with a penalty key and two windows.
        let command = RedisRateLimitCommand(ruleName: "login", keySuffixes: [":60", ":3600", ":p"], arguments: ["2", "5", "60000000", "100", "3600000000", "3", "1", "2", "3", "4", "5"])
        let check: UInt64 = 0x00ab_cdef_0123_4567
        let prefix = "{login:00abcdef01234567}"
        #expect(command.keyPrefix(check: check) == Array(prefix.utf8))
        #expect(command.slot(check: check) == RedisClusterSlots.slot(of: prefix))
        for (form, name, script) in [(RedisRateLimitCommand.Form.evalsha, "EVALSHA", RedisRateLimitScript.sha1), (.eval, "EVAL", RedisRateLimitScript.source)] {
            var encoded = ByteBuffer()
            command.encode(form, check: check, into: &encoded)
            let expected = RedisCommandEncoder.encode([name, script, "3", prefix + ":60", prefix + ":3600", prefix + ":p", "2", "5", "60000000", "100", "3600000000", "3", "1", "2", "3", "4", "5"])
            #expect(encoded == expected)
            // Its buffer is allocated at this length, once.
            if form == .evalsha { #expect(command.encodedEVALSHALength == encoded.readableBytes) }
        }
    }

    @Test func redirectionsAreParsed() {
        let moved = RedisClusterSlots.redirection("MOVED 3999 127.0.0.1:6381")
        #expect(moved?.slot == 3999)
        #expect(moved?.endpoint == .tcp(host: "127.0.0.1", port: 6381))
        #expect(RedisClusterSlots.redirection("ASK 42 [::1]:7000")?.endpoint == .tcp(host: "::1", port: 7000))
        #expect(RedisClusterSlots.redirection("MOVED x y") == nil)
    }

    /// Found by the fuzz target `redis-reply`: `MOVED 21 \u{FFFD}[:0` was followed to a host that
    /// is not one and port 0 (a failed connection, and a connection pool kept for it).
    @Test func aRedirectionToAnUnusableEndpointIsNotFollowed() {
        for error in ["MOVED 21 \u{FFFD}\u{FFFD}[:0", "MOVED 21 127.0.0.1:0", "ASK 21 a\u{7F}b:7000", "MOVED 16384 127.0.0.1:7000"] {
            #expect(RedisClusterSlots.redirection(error) == nil, "\(error)")
        }
        #expect(RedisClusterSlots.redirection("MOVED 21 redis-2.internal:7000")?.endpoint == .tcp(host: "redis-2.internal", port: 7000))
    }

    @Test func slotsFollowTheClusterSpecification() {
        // The specification's check value and examples; redis-cli CLUSTER KEYSLOT agrees.
        #expect(RedisClusterSlots.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(RedisClusterSlots.slot(of: "foo") == 12182)
        #expect(RedisClusterSlots.slot(of: "bar") == 5061)
        #expect(RedisClusterSlots.slot(of: "{user1000}.following") == RedisClusterSlots.slot(of: "{user1000}.followers"))
        #expect(RedisClusterSlots.slot(of: "{login:00ff}:60000") == RedisClusterSlots.slot(of: "login:00ff"))
        // An empty tag does not count: the whole key is hashed.
        #expect(RedisClusterSlots.slot(of: "{}foo") == Int(RedisClusterSlots.crc16(Array("{}foo".utf8)) & 0x3FFF))
    }
}
