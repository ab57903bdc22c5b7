import NIOCore

/// The close scheduled for an HTTP/2 connection that has not opened a stream yet. Set once when
/// the pipeline is built and read by the stream initializer, both on the connection's event loop.
final class FirstStreamDeadline: @unchecked Sendable {
    private(set) var value: Scheduled<Void>?

    func setValue(_ value: Scheduled<Void>) {
        self.value = value
    }
}
