import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets the `portcullis-demo` process wait, without blocking a thread, for SIGINT or SIGTERM.
///
/// `@unchecked Sendable`: all mutable state is only touched on `queue`.
final class DemoSignalWaiter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "portcullis-demo.signals")
    private var sources: [DispatchSourceSignal] = []
    private var received: Int32?
    private var waiting: [CheckedContinuation<Int32, Never>] = []

    /// Starts catching `signals` immediately, so one arriving before `wait()` is not lost.
    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        self.queue.sync {
            for number in signals {
                // Ignore the default action (terminate) so the dispatch source sees the signal instead.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: self.queue)
                source.setEventHandler { [weak self] in self?.deliver(number) }
                source.resume()
                self.sources.append(source)
            }
        }
    }

    deinit {
        for source in self.sources {
            source.cancel()
        }
    }

    /// Returns the first signal caught.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            self.queue.async {
                if let received = self.received {
                    continuation.resume(returning: received)
                } else {
                    self.waiting.append(continuation)
                }
            }
        }
    }

    private func deliver(_ number: Int32) {
        guard self.received == nil else { return }
        self.received = number
        let waiting = self.waiting
        self.waiting = []
        for continuation in waiting {
            continuation.resume(returning: number)
        }
    }
}
