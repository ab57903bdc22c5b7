import CHiredis
import NIOCore

/// Encodes a command into the Redis protocol with hiredis's `redisFormatCommandArgv` (binary-safe:
/// every argument is passed with its length).
enum RedisCommandEncoder {
    static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        var bytes: [UInt8] = []
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            bytes.append(contentsOf: argument.utf8)
            lengths.append(argument.utf8.count)
        }
        bytes.append(0)  // never empty, so the storage has an address
        bytes.withUnsafeBufferPointer { storage in
            let base = UnsafeRawPointer(storage.baseAddress!)
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            for length in lengths {
                pointers.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            var target: UnsafeMutablePointer<CChar>?
            let count = redisFormatCommandArgv(&target, Int32(arguments.count), &pointers, lengths)
            if count > 0, let target {
                buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(count)))
            }
            if let target { redisFreeCommand(target) }
        }
    }

    /// Encodes arguments already laid out in memory (`pointers[i]`, `lengths[i]` bytes each).
    static func encode(_ pointers: UnsafeBufferPointer<UnsafePointer<CChar>?>, lengths: UnsafeBufferPointer<Int>, into buffer: inout ByteBuffer) {
        var target: UnsafeMutablePointer<CChar>?
        let count = redisFormatCommandArgv(&target, Int32(pointers.count), UnsafeMutablePointer(mutating: pointers.baseAddress), lengths.baseAddress)
        if count > 0, let target {
            buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(count)))
        }
        if let target { redisFreeCommand(target) }
    }

    static func encode(_ arguments: [String], allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        encode(arguments, into: &buffer)
        return buffer
    }
}
