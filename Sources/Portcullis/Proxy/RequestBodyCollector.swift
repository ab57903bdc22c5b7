import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Reads a request body whole: in memory up to `threshold` bytes, then into a private spool file
/// (mkstemp: mode 0600) written on the thread pool. While a write is under way the handler holds
/// the client's reads (`isWriting`), so a fast client cannot outrun the disk. Loop-bound.
final class RequestBodyCollector {
    private let threshold: Int
    private let directory: String
    private let threadPool: NIOThreadPool
    private let eventLoop: EventLoop
    private(set) var size = 0
    /// Bytes not yet in the spool file (all of them while the body fits the threshold).
    private var pending: ByteBuffer?
    private var file: SpoolFile?
    /// The spool file, once the body outgrew memory.
    var spoolFile: SpoolFile? { file }
    private(set) var isWriting = false
    private var failure: Error?
    private var finished: EventLoopPromise<RequestBody>?
    /// Called on the loop after each spool write (the handler resumes reading).
    var onWritten: (() -> Void)?

    init(threshold: Int, directory: String, threadPool: NIOThreadPool, eventLoop: EventLoop) {
        self.threshold = threshold
        self.directory = directory
        self.threadPool = threadPool
        self.eventLoop = eventLoop
    }

    func append(_ buffer: ByteBuffer) {
        size += buffer.readableBytes
        if pending == nil {
            pending = buffer
        } else {
            var merged = pending!
            pending = nil  // one reference: the write below appends in place
            merged.writeImmutableBuffer(buffer)
            pending = merged
        }
        if file != nil || size > threshold { writeIfIdle() }
    }

    /// The whole body once the last write is done.
    func finish() -> EventLoopFuture<RequestBody> {
        if file == nil, !isWriting {
            return eventLoop.makeSucceededFuture(RequestBody(memory: pending, spoolPath: nil, size: size))
        }
        let promise = eventLoop.makePromise(of: RequestBody.self)
        finished = promise
        writeIfIdle()
        completeIfDone()
        return promise.futureResult
    }

    /// Deletes the spool file, if any (on the thread pool).
    func discard() {
        guard let file else { return }
        self.file = nil
        threadPool.submit { _ in file.remove() }
    }

    private func writeIfIdle() {
        guard !isWriting, failure == nil, let chunk = pending, chunk.readableBytes > 0 else { return }
        pending = nil
        isWriting = true
        let existing = file, directory = self.directory
        threadPool.runIfActive(eventLoop: eventLoop) { () -> SpoolFile in
            let target = try existing ?? SpoolFile.create(in: directory)
            do {
                try target.write(chunk)
            } catch {
                if existing == nil { target.remove() }
                throw error
            }
            return target
        }.whenComplete { [self] result in
            isWriting = false
            switch result {
            case .success(let written): file = written
            case .failure(let error): failure = error
            }
            writeIfIdle()
            completeIfDone()
            onWritten?()
        }
    }

    private func completeIfDone() {
        guard let promise = finished, !isWriting else { return }
        if let failure {
            finished = nil
            promise.fail(failure)
        } else if pending == nil || pending!.readableBytes == 0, let file {
            finished = nil
            promise.succeed(RequestBody(memory: nil, spoolPath: file.path, size: size))
        }
    }
}

@available(*, unavailable)
extension RequestBodyCollector: Sendable {}

/// A private spool file: created with mkstemp (0600), written and removed on the thread pool.
final class SpoolFile: Sendable {
    let path: String
    private let descriptor: CInt

    private init(path: String, descriptor: CInt) {
        self.path = path
        self.descriptor = descriptor
    }

    struct SpoolError: Error, CustomStringConvertible {
        var description: String
    }

    static func create(in directory: String) throws -> SpoolFile {
        var template = Array((directory + "/portcullis-body-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw SpoolError(description: "cannot create a spool file in \(directory): \(String(cString: strerror(errno)))") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return SpoolFile(path: path, descriptor: descriptor)
    }

    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError(description: "cannot write the spool file: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    /// A second descriptor for sending the file upstream (sendfile reads by offset).
    func forwardingHandle() throws -> NIOFileHandle {
        let copy = dup(descriptor)
        guard copy >= 0 else { throw SpoolError(description: "cannot duplicate the spool file's descriptor: \(String(cString: strerror(errno)))") }
        return NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: copy)
    }

    func remove() {
        close(descriptor)
        unlink(path)
    }
}
