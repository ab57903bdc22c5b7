import CHiredis
import NIOCore

/// hiredis's own reply constructors, read from a reader once.
private let hiredisFunctions: redisReplyObjectFunctions = {
    let reader = redisReaderCreate()!
    defer { redisReaderFree(reader) }
    return reader.pointee.fn.pointee
}()

/// The same constructors with array sizes bounded. hiredis 0.14 allocates an array's element
/// table as soon as its header arrives, before any element: `*900000000` asked for 7.2 GB (found
/// by the fuzz target `redis-reply`). A refused array is hiredis's "Out of memory" protocol error.
private let boundedFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let table = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    table.initialize(to: hiredisFunctions)
    table.pointee.createArray = { task, elements in
        guard elements >= 0, elements <= RedisReplyDecoder.maximumElements else { return nil }
        return hiredisFunctions.createArray!(task, elements)
    }
    return table
}()

/// Decodes the bytes a Redis server sends into replies with hiredis's `redisReader`: fed as they
/// arrive, in any split, and asked for complete replies. No socket is involved: the reader only
/// parses. Confined to one connection's event loop.
final class RedisReplyDecoder {
    private let reader: UnsafeMutablePointer<redisReader>

    struct ProtocolError: Error, CustomStringConvertible {
        var description: String
    }

    /// The most elements an array reply may have: the largest the gateway expects is a
    /// `CLUSTER SLOTS` map (at most 16384 ranges).
    static let maximumElements: Int32 = 1 << 16

    init() {
        reader = redisReaderCreate()
        reader.pointee.fn = boundedFunctions
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Hands bytes to the reader (it copies them).
    func feed(_ buffer: ByteBuffer) throws {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return portcullis_redis_ok }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != portcullis_redis_ok { throw ProtocolError(description: readerError) }
    }

    /// The next complete reply, or nil when more bytes are needed.
    func next() throws -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == portcullis_redis_ok else { throw ProtocolError(description: readerError) }
        guard let raw else { return nil }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    private var readerError: String {
        withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            let text = bytes.prefix { $0 != 0 }
            return text.isEmpty ? "malformed Redis reply" : String(decoding: text, as: UTF8.self)
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case portcullis_redis_reply_integer:
            return .integer(value.integer)
        case portcullis_redis_reply_nil:
            return .bulk(nil)
        case portcullis_redis_reply_status:
            return .status(text(value))
        case portcullis_redis_reply_error:
            return .error(text(value))
        case portcullis_redis_reply_array:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] { elements.append(convert(element)) }
            }
            return .array(elements)
        default:  // REDIS_REPLY_STRING
            guard let str = value.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: str, count: value.len)))
        }
    }

    private static func text(_ value: redisReply) -> String {
        guard let str = value.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: value.len), as: UTF8.self)
    }
}
