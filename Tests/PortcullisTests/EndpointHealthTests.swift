import NIOCore
import Testing
@testable import Portcullis

@Suite struct EndpointHealthTests {
    static let second: UInt64 = 1_000_000_000

    private func makeHealth() throws -> EndpointHealth {
        EndpointHealth(
            name: "127.0.0.1:3000", address: try SocketAddress(ipAddress: "127.0.0.1", port: 3000),
            maxFailures: 3, ejectionBase: 1_000_000_000, ejectionMax: 4_000_000_000
        )
    }

    @Test func newEndpointIsAvailable() throws {
        let health = try makeHealth()
        #expect(health.isAvailable(now: 0))
        #expect(health.isAvailable(now: 100 * Self.second))
    }

    @Test func twoFailuresKeepItAvailable() throws {
        let health = try makeHealth()
        let now = 100 * Self.second
        #expect(health.recordFailure(now: now) == false)
        #expect(health.recordFailure(now: now) == false)
        #expect(health.isAvailable(now: now))
    }

    @Test func thirdFailureEjectsForTheBaseDuration() throws {
        let health = try makeHealth()
        let now = 100 * Self.second
        health.recordFailure(now: now)
        health.recordFailure(now: now)
        #expect(health.recordFailure(now: now) == true)
        #expect(!health.isAvailable(now: now))
        #expect(!health.isAvailable(now: now + Self.second - 1))
        #expect(health.isAvailable(now: now + Self.second))
        #expect(health.isAvailable(now: now + 2 * Self.second))
    }

    @Test func failuresAfterAnEjectionDoubleTheBackOffUpToTheCap() throws {
        let health = try makeHealth()
        var now = 100 * Self.second
        health.recordFailure(now: now)
        health.recordFailure(now: now)
        #expect(health.recordFailure(now: now))  // ejected for 1s

        // On probation: one more failure ejects again, for twice as long each time, capped at 4s.
        for expected: UInt64 in [2, 4, 4, 4] {
            now += 10 * Self.second
            #expect(health.isAvailable(now: now))
            #expect(health.recordFailure(now: now), "a single failure on probation must eject")
            #expect(!health.isAvailable(now: now + expected * Self.second - 1), "ejection must last \(expected)s")
            #expect(health.isAvailable(now: now + expected * Self.second), "ejection must last exactly \(expected)s")
        }
    }

    @Test func successResetsTheSchedule() throws {
        let health = try makeHealth()
        var now = 100 * Self.second
        for _ in 0..<3 { health.recordFailure(now: now) }
        now += 10 * Self.second
        #expect(health.recordFailure(now: now))  // second ejection: 2s
        now += 10 * Self.second
        health.recordSuccess()

        // Back to three failures and 1s.
        #expect(health.recordFailure(now: now) == false)
        #expect(health.recordFailure(now: now) == false)
        #expect(health.isAvailable(now: now))
        #expect(health.recordFailure(now: now) == true)
        #expect(!health.isAvailable(now: now + Self.second - 1))
        #expect(health.isAvailable(now: now + Self.second))
    }

    @Test func successBetweenFailuresRestartsTheCount() throws {
        let health = try makeHealth()
        let now = 100 * Self.second
        health.recordFailure(now: now)
        health.recordFailure(now: now)
        health.recordSuccess()
        #expect(health.recordFailure(now: now) == false)
        #expect(health.recordFailure(now: now) == false)
        #expect(health.isAvailable(now: now))
        #expect(health.recordFailure(now: now) == true)
    }

    @Test func backOffStaysCappedAfterManyEjections() throws {
        let health = try makeHealth()
        var now = 100 * Self.second
        for _ in 0..<3 { health.recordFailure(now: now) }
        for _ in 0..<100 {
            now += 10 * Self.second
            health.recordFailure(now: now)
        }
        #expect(!health.isAvailable(now: now + 4 * Self.second - 1))
        #expect(health.isAvailable(now: now + 4 * Self.second))
    }
}
