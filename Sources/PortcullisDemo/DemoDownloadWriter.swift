import NIOCore
import NIOHTTP1

/// Streams the body of a `/download` response without ever holding more than a few chunks.
///
/// The writer only writes while the channel is writable and flushes each chunk, so
/// memory stays bounded by the channel's write-buffer high-water mark however large
/// the download; `DemoHTTPHandler` calls `resume` again from `channelWritabilityChanged`.
final class DemoDownloadWriter {
    static let chunkSize = 64 * 1024

    /// 64 KiB of a 16-byte pattern. Since the chunk size is a multiple of 16, byte `i`
    /// of any download is `pattern[i % 16]`, which lets tests check content cheaply.
    static let pattern = "portcullis-demo\n"
    private static let chunk: ByteBuffer = {
        var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
        while buffer.readableBytes < chunkSize {
            buffer.writeString(pattern)
        }
        return buffer
    }()

    private(set) var remaining: Int
    /// Guards against re-entrance: a flush can synchronously make the channel writable again.
    private var isWriting = false

    init(totalBytes: Int) {
        self.remaining = totalBytes
    }

    /// Writes and flushes chunks until the body is complete or the channel stops being writable.
    ///
    /// - Returns: `true` once every byte has been written (the caller then writes `.end`).
    func resume(context: ChannelHandlerContext) -> Bool {
        guard !self.isWriting else { return false }
        self.isWriting = true
        defer { self.isWriting = false }

        while self.remaining > 0 && context.channel.isWritable {
            let size = min(self.remaining, DemoDownloadWriter.chunkSize)
            // A slice shares the static chunk's storage: no copy per chunk.
            let slice = DemoDownloadWriter.chunk.getSlice(at: DemoDownloadWriter.chunk.readerIndex, length: size)!
            self.remaining -= size
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(slice))), promise: nil)
            context.flush()
        }
        return self.remaining == 0
    }
}

@available(*, unavailable)
extension DemoDownloadWriter: Sendable {}
