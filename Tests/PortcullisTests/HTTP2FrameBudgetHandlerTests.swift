import NIOCore
import NIOEmbedded
@testable import Portcullis
import Testing

/// One HTTP/2 connection gets at most its budget of costly frames (HEADERS, RST_STREAM, PING,
/// SETTINGS, PRIORITY) through per loop iteration; the rest of its bytes wait, in order, for a
/// later iteration.
struct HTTP2FrameBudgetHandlerTests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// A frame: 9-byte header (length, type, flags, stream id), then `payload` bytes of `fill`.
    static func frame(type: UInt8, stream: UInt32, payload: Int, fill: UInt8 = 0xAB) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(payload) << 8 | UInt32(type))
        buffer.writeInteger(UInt8(0x5))
        buffer.writeInteger(stream)
        buffer.writeRepeatingByte(fill, count: payload)
        return Array(buffer.readableBytesView)
    }

    static func headers(_ stream: UInt32) -> [UInt8] { frame(type: 0x1, stream: stream, payload: 5) }
    static func reset(_ stream: UInt32) -> [UInt8] { frame(type: 0x3, stream: stream, payload: 4) }

    /// The client's `index`th stream id (1, 3, 5, …).
    static func id(_ index: Int) -> UInt32 { UInt32(1 + 2 * index) }

    /// HEADERS frames for the streams `indices`, back to back.
    static func headers(_ indices: Range<Int>) -> [UInt8] {
        var bytes: [UInt8] = []
        for index in indices { bytes += headers(id(index)) }
        return bytes
    }

    func channel(budget: Int = 4) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP2FrameBudgetHandler(framesPerIteration: budget))
        return channel
    }

    /// Everything the handler has passed on so far, as one byte array.
    func passed(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { bytes += Array(buffer.readableBytesView) }
        return bytes
    }

    /// What each later resume passed on, in order: the loop's clock moved 10 µs at a time.
    func laterIterations(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        for _ in 0..<1000 {
            channel.embeddedEventLoop.advanceTime(by: .microseconds(10))
            let bytes = try passed(channel)
            if !bytes.isEmpty { chunks.append(bytes) }
        }
        return chunks
    }

    @Test func streamsOverTheBudgetWaitForALaterIteration() throws {
        let channel = try channel(budget: 8)
        // Ten streams, each HEADERS then RST_STREAM, as a rapid-reset client sends them.
        func streams(_ indices: Range<Int>) -> [UInt8] {
            var bytes: [UInt8] = []
            for index in indices { bytes += Self.headers(Self.id(index)) + Self.reset(Self.id(index)) }
            return bytes
        }
        try channel.writeInbound(ByteBuffer(bytes: Self.preface + streams(0..<10)))
        // The preface and four streams (two frames each), not the fifth HEADERS.
        #expect(try passed(channel) == Self.preface + streams(0..<4))
        // Each later iteration (a resume is at least 50 µs after the last) passes the next four.
        #expect(try laterIterations(channel) == [streams(4..<8), streams(8..<10)])
        _ = try channel.finish()
    }

    @Test func aPingFloodIsCutIntoBudgetsAndWindowUpdatesAreFree() throws {
        let channel = try channel(budget: 4)
        func pings(_ count: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for _ in 0..<count { bytes += Self.frame(type: 0x6, stream: 0, payload: 8) }
            return bytes
        }
        let windowUpdates = (0..<3).flatMap { _ in Self.frame(type: 0x8, stream: 0, payload: 4) }
        try channel.writeInbound(ByteBuffer(bytes: Self.preface + windowUpdates + pings(10)))
        #expect(try passed(channel) == Self.preface + windowUpdates + pings(4))
        #expect(try laterIterations(channel) == [pings(4), pings(2)])
        _ = try channel.finish()
    }

    /// The resume task outlives a connection that closes meanwhile: it must find the handler (an
    /// unowned capture crashed the release build here) and pass nothing on.
    @Test func aConnectionClosedWhileBytesAreHeldPassesNothingMore() throws {
        let channel = try channel(budget: 2)
        try channel.writeInbound(ByteBuffer(bytes: Self.preface + Self.headers(0..<5)))
        #expect(try passed(channel) == Self.preface + Self.headers(0..<2))
        try channel.close().wait()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        #expect(try passed(channel).isEmpty)
    }

    @Test func bytesThatArriveWhileOverBudgetQueueBehindTheHeldOnes() throws {
        let channel = try channel(budget: 2)
        try channel.writeInbound(ByteBuffer(bytes: Self.preface + Self.headers(0..<3)))
        #expect(try passed(channel) == Self.preface + Self.headers(1) + Self.headers(3))
        let data = Self.frame(type: 0x0, stream: 1, payload: 100)
        try channel.writeInbound(ByteBuffer(bytes: data))
        #expect(try passed(channel).isEmpty)
        #expect(try laterIterations(channel) == [Self.headers(Self.id(2)) + data])
        _ = try channel.finish()
    }

    @Test func framesSplitAcrossReadsAreWalkedWhole() throws {
        let channel = try channel(budget: 2)
        // A DATA frame whose payload holds bytes that look like a HEADERS frame header, split in
        // the middle of its payload, then a frame header split in two.
        let data = Self.frame(type: 0x0, stream: 1, payload: 30, fill: 0x01)
        let all = Self.preface + Self.headers(1) + data + Self.headers(3) + Self.headers(5)
        let cuts = [10, 40, all.count - Self.headers(5).count + 4]
        var start = 0
        for cut in cuts + [all.count] {
            try channel.writeInbound(ByteBuffer(bytes: all[start..<cut]))
            channel.pipeline.fireChannelReadComplete()
            start = cut
        }
        // Each read was its own iteration: within the budget, everything passed, in order.
        #expect(try passed(channel) == all)
        _ = try channel.finish()
    }

    @Test func aClientWithinItsBudgetIsNeverHeld() throws {
        let channel = try channel(budget: 4)
        try channel.writeInbound(ByteBuffer(bytes: Self.preface))
        for round in 0..<5 {
            let streams = Self.headers(4 * round..<4 * round + 4)
            try channel.writeInbound(ByteBuffer(bytes: streams))
            channel.pipeline.fireChannelReadComplete()
            #expect(try passed(channel).count == (round == 0 ? Self.preface.count : 0) + streams.count)
        }
        _ = try channel.finish()
    }
}
