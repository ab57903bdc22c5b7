import FuzzSupport
import NIOCore
import NIOEmbedded
@testable import PortcullisFuzzed

/// Bytes a Redis server (or anything that took its place) sends, through the gateway's reply
/// handling: hiredis's reader (`RedisReplyDecoder`), the connection handler that pairs replies
/// with the commands waiting for them, the rate-limit script's decision, `CLUSTER SLOTS` and
/// `MOVED`/`ASK`/`NOSCRIPT` errors.
///
/// Byte 0 says how the rest arrives (bits 0-4: chunk size − 1, 0 meaning all at once) and how many
/// commands wait for replies (bits 5-7). Invariants: every waiting command is answered exactly
/// once, in order, with the reply the reader decoded, or failed with a `RedisError` (never left
/// hanging); a reply is a rate-limit decision only if it is the script's six integers within their
/// ranges, else an error that the rule's `on_store_error` handles; a slot map holds only slots
/// 0…16383 served by a real host and port; a redirection names a slot and an endpoint. The
/// readers are freed (LeakSanitizer checks every input).
enum RedisReplyFuzz {
    static let rule: RateLimitRule = {
        let yaml = """
            rate_limits:
              - name: withdrawals
                match: { path: /api/wallet/withdraw }
                key: ip
                limits: [2/1s, 3/1h]
                penalty: { after_violations: 5, within: 10m, ban: 15m }
                headers: true
            """
        return try! PolicyLoader.parse([PolicySource(file: "rate-limits.yaml", text: yaml)], environment: [:]).rateLimits.rules[0]
    }()

    static func test(_ input: UnsafeRawBufferPointer) {
        guard let control = input.first else { return }
        let bytes = Array(input.dropFirst())
        let chunk = Int(control & 31)
        let chunks: [ArraySlice<UInt8>] = chunk == 0 ? [bytes[...]] : stride(from: 0, to: bytes.count, by: chunk).map { bytes[$0..<min($0 + chunk, bytes.count)] }
        let waiting = Int(control >> 5) + 1

        // The reader on its own: the replies, then an error or the need for more bytes.
        var replies: [RedisReply] = []
        var failed = false
        do {
            let decoder = RedisReplyDecoder()
            for piece in chunks {
                try decoder.feed(ByteBuffer(bytes: piece))
                while let reply = try decoder.next() { replies.append(reply) }
            }
        } catch {
            failed = true
        }
        for reply in replies { check(reply) }
        checkConnection(chunks, waiting: waiting, replies: replies)
        _ = failed
    }

    static func check(_ reply: RedisReply) {
        _ = reply.text
        _ = reply.isError
        if reply.errorCode == "NOSCRIPT" { FuzzDriver.require(reply.isError, "NOSCRIPT from a reply that is not an error") }
        do {
            let decision = try RedisRateLimitStore.decision(from: reply, windows: rule.windows.count)
            guard case .array(let fields) = reply, fields.count == 6, fields.allSatisfy({ $0.integer != nil }) else {
                return FuzzDriver.require(false, "a decision taken from \(reply)")
            }
            FuzzDriver.require((0...2).contains(fields[0].integer!), "verdict \(fields[0]) taken as \(decision.verdict)")
            FuzzDriver.require(rule.windows.indices.contains(decision.window), "window \(decision.window) of a rule with \(rule.windows.count)")
            FuzzDriver.require(decision.remaining >= 0 && decision.reset >= 0 && decision.banStarted >= 0 && decision.banLevel >= 0, "negative fields in \(decision)")
            // What the phase builds from a decision.
            _ = RateLimitAnswer.rateLimitValue(rule: rule, decision: decision)
            _ = RateLimitAnswer.problem(rule: rule, decision: decision)
            _ = decision.banLevel + 1
        } catch {
            FuzzDriver.require(error is RedisError, "the decision failed with \(error), not a store error")
        }
        if let map = RedisClusterSlots(reply: reply) {
            for node in map.nodes {
                guard case .tcp(let host, let port) = node else { return FuzzDriver.require(false, "a slot map node \(node)") }
                FuzzDriver.require(usable(host) && (1...65535).contains(port), "a slot map node \(node)")
            }
            for slot in [0, 1, 8191, 12182, 16383] { _ = map.owner(of: slot) }
            var moved = map
            moved.move(slot: 16383, to: .tcp(host: "127.0.0.1", port: 7000))
            FuzzDriver.require(moved.owner(of: 16383) == .tcp(host: "127.0.0.1", port: 7000), "a MOVED slot is not remembered")
        }
        if case .error(let text) = reply, let target = RedisClusterSlots.redirection(text) {
            FuzzDriver.require((0..<RedisClusterSlots.count).contains(target.slot), "redirection to slot \(target.slot)")
            guard case .tcp(let host, let port) = target.endpoint else { return FuzzDriver.require(false, "redirection to \(target.endpoint)") }
            FuzzDriver.require(usable(host) && (1...65535).contains(port), "redirection to \(target.endpoint)")
        }
    }

    /// A host that can be connected to: a name or address, printable ASCII without spaces.
    static func usable(_ host: String) -> Bool {
        !host.isEmpty && host.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }
    }

    /// The connection handler with `waiting` commands in flight, fed the bytes as the socket would.
    static func checkConnection(_ chunks: [ArraySlice<UInt8>], waiting: Int, replies: [RedisReply]) {
        final class Results {
            var values: [Result<RedisReply, Error>?]
            init(_ count: Int) { values = Array(repeating: nil, count: count) }
        }
        let channel = EmbeddedChannel(handler: RedisConnectionHandler())
        // Active, as a connected socket (an inactive embedded channel takes no reads).
        try! channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        let box = Results(waiting)
        for index in 0..<waiting {
            let promise = channel.eventLoop.makePromise(of: RedisReply.self)
            promise.futureResult.whenComplete { result in
                FuzzDriver.require(box.values[index] == nil, "command \(index) answered twice")
                box.values[index] = result
            }
            channel.write(RedisConnectionHandler.Command(bytes: RedisCommandEncoder.encode(["PING"]), promise: promise), promise: nil)
        }
        channel.embeddedEventLoop.run()
        for piece in chunks where channel.isActive {
            _ = try? channel.writeInbound(ByteBuffer(bytes: piece))
            channel.embeddedEventLoop.run()
        }
        _ = try? channel.finish()
        channel.embeddedEventLoop.run()
        var answered = 0
        for (index, result) in box.values.enumerated() {
            switch result {
            case .success(let reply)?:
                FuzzDriver.require(index == answered && index < replies.count && reply == replies[index], "command \(index) got \(reply), not the \(index)th reply")
                answered += 1
            case .failure(let error)?:
                FuzzDriver.require(error is RedisError, "command \(index) failed with \(error), not a store error")
            case nil:
                FuzzDriver.require(false, "command \(index) was never answered")
            }
        }
        FuzzDriver.require(answered == min(waiting, replies.count), "\(answered) of \(waiting) commands answered, \(replies.count) replies decoded")
    }
}

@_cdecl("fuzz_redis_reply_main")
func fuzzMain(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc: argc, argv: argv, RedisReplyFuzz.test)
}
