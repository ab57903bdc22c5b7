import NIOCore
import Synchronization

/// The open connections of one `DemoServer`, so `stop()` can cut them all.
///
/// Accepted channels register from their own event loops while `stop()` runs on
/// some other thread, hence the lock.
final class DemoConnectionRegistry: Sendable {
    private struct State {
        var isClosed = false
        var channels: [ObjectIdentifier: Channel] = [:]
    }

    private let state = Mutex(State())

    /// Records `channel` until it closes.
    ///
    /// - Returns: `false` if the registry was already closed: a connection accepted just
    ///   before `stop()` shut the listener, which the caller must close itself.
    func register(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let registered = self.state.withLock { state -> Bool in
            guard !state.isClosed else { return false }
            state.channels[id] = channel
            return true
        }
        if registered {
            channel.closeFuture.whenComplete { _ in
                self.state.withLock { _ = $0.channels.removeValue(forKey: id) }
            }
        }
        return registered
    }

    /// Refuses further registrations and returns the connections still open.
    func closeRegistrations() -> [Channel] {
        self.state.withLock { state in
            state.isClosed = true
            return Array(state.channels.values)
        }
    }
}
