import NIOCore
import NIOEmbedded
@testable import Portcullis
import Testing

/// An HTTP/2 connection's flushes within one event-loop iteration leave as one.
struct FlushCoalescingHandlerTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler())
        return channel
    }

    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func flushesOfOneIterationLeaveTogetherWhenItEnds() throws {
        let channel = try channel()
        channel.writeAndFlush(bytes("stream 1"), promise: nil)
        channel.writeAndFlush(bytes("stream 3"), promise: nil)
        // Written, not yet flushed: nothing has reached the socket.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == bytes("stream 1"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == bytes("stream 3"))
        _ = try channel.finish()
    }

    @Test func aCloseFlushesWhatIsWaitingFirst() throws {
        let channel = try channel()
        channel.writeAndFlush(bytes("GOAWAY"), promise: nil)
        let closed = channel.close()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == bytes("GOAWAY"))
        channel.embeddedEventLoop.run()
        try closed.wait()
    }
}
