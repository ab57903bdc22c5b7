import Foundation
import NIOConcurrencyHelpers

/// The load of a fault test: `clients` concurrent clients, each sending `each` requests one after
/// another, every result kept. `completed` lets a fault be timed by progress (after so many
/// answers) rather than by a guess of how fast a debug build on a shared machine answers.
final class FaultLoad: Sendable {
    private let done = NIOLockedValueBox(0)

    var completed: Int { done.withLockedValue { $0 } }

    func run<Result: Sendable>(clients: Int, each: Int, _ request: @escaping @Sendable (_ client: Int, _ index: Int) async -> Result) async -> [Result] {
        await withTaskGroup(of: [Result].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var results: [Result] = []
                    for index in 0..<each {
                        results.append(await request(client, index))
                        self.done.withLockedValue { $0 += 1 }
                    }
                    return results
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Waits until `count` requests have been answered (bounded: `seconds`).
    func waitUntil(completed count: Int, seconds: Double = 30) async {
        let deadline = Date().addingTimeInterval(seconds)
        while completed < count, Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// The account of a run: sent = answered + documented errors + other.
    struct Tally: CustomStringConvertible {
        var sent = 0
        var answered = 0
        /// Documented gateway errors by status.
        var documented: [Int: Int] = [:]
        var others: [String] = []

        init(_ outcomes: some Sequence<FaultTests.Outcome>) {
            for outcome in outcomes {
                sent += 1
                switch outcome {
                case .answered: answered += 1
                case .documentedError(let status): documented[status, default: 0] += 1
                case .other(let what): others.append(what)
                }
            }
        }

        var documentedTotal: Int { documented.values.reduce(0, +) }

        var description: String {
            let errors = documented.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
            return "\(sent) sent: \(answered) answered, \(documentedTotal) documented errors\(errors.isEmpty ? "" : " (\(errors))"), \(others.count) other\(others.isEmpty ? "" : " \(others.prefix(3))")"
        }
    }
}
