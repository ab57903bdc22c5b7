import JWTKit
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing
@testable import Portcullis

@Suite struct RateLimitPhaseTests {
    static let secret = "0123456789abcdef0123456789abcdef-test-secret"

    private final class Clock: Sendable {
        let now = Atomic<Int64>(86_400_000_000_000)
    }

    private func policy(_ yaml: String, environment: [String: String] = [:]) throws -> PolicySet {
        try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)], environment: environment)
    }

    private func request(_ path: String, method: HTTPMethod = .POST, client: String = "192.0.2.1", headers: [(String, String)] = []) -> RateLimitPhase.Request {
        RateLimitPhase.Request(method: method, headers: HTTPHeaders(headers), host: "localhost", target: path, client: IPAddress(client)!, requestId: "test")
    }

    private func run(_ phase: RateLimitPhase, _ request: RateLimitPhase.Request, _ set: PolicySet) async throws -> (outcome: PhaseOutcome, state: RateLimitState, wasPending: Bool) {
        var state = RateLimitState()
        let outcome = phase.evaluate(request, policy: set.rateLimits, state: &state, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        if case .pending(let future) = outcome { return (try await future.get(), state, true) }
        return (outcome, state, false)
    }

    private func status(_ outcome: PhaseOutcome) -> Int {
        if case .respond(let problem) = outcome { return Int(problem.status.code) }
        return 200
    }

    @Test func refusalCarriesRetryAfterAndRateLimitFields() async throws {
        let set = try policy("rate_limits:\n  - name: login\n    match: { path: /login }\n    limits: [2/1m]\n    headers: true\n")
        let phase = RateLimitPhase(store: RateLimitStore(), clock: { 86_400_000_000_000 })
        let first = try await run(phase, request("/login"), set)
        var headers = HTTPHeaders()
        RateLimitPhase.addHeaders(to: &headers, state: first.state)
        #expect(headers["RateLimit-Policy"] == ["\"login\";q=2;w=60"])
        #expect(headers["RateLimit"] == ["\"login\";r=1;t=120"])
        _ = try await run(phase, request("/login"), set)
        let third = try await run(phase, request("/login"), set)
        guard case .respond(let problem) = third.outcome else { Issue.record("expected a 429"); return }
        #expect(problem.status == .tooManyRequests)
        #expect(problem.slug == "rate-limited")
        #expect(problem.detail == "over the limit of rule 'login' (2 per 60s); retry after 90 s")
        #expect(problem.extraHeaders.map(\.0) == ["Retry-After", "RateLimit-Policy", "RateLimit"])
        #expect(problem.extraHeaders.map(\.1) == ["90", "\"login\";q=2;w=60", "\"login\";r=0;t=90"])
    }

    @Test func shadowRulesCountButNeverRefuse() async throws {
        let set = try policy("rate_limits:\n  - name: trial\n    mode: shadow\n    match: { path_prefix: /api/ }\n    limits: [1/1m]\n")
        let phase = RateLimitPhase(store: RateLimitStore(), clock: { 0 })
        for _ in 0..<5 {
            let result = try await run(phase, request("/api/x"), set)
            #expect(status(result.outcome) == 200)
            #expect(result.state.resolved == nil)
        }
        #expect(set.rateLimits.rules[0].limitedCount.load(ordering: .relaxed) == 4)
    }

    @Test func missingHeaderFallsBackToTheClientAddress() async throws {
        let set = try policy("rate_limits:\n  - name: w\n    match: { path: /w }\n    key: header:X-User-Id\n    limits: [1/1h]\n")
        let phase = RateLimitPhase(store: RateLimitStore(), clock: { 0 })
        #expect(status(try await run(phase, request("/w", headers: [("X-User-Id", "u1")]), set).outcome) == 200)
        #expect(status(try await run(phase, request("/w", headers: [("X-User-Id", "u2")]), set).outcome) == 200)
        #expect(status(try await run(phase, request("/w"), set).outcome) == 200)
        #expect(status(try await run(phase, request("/w"), set).outcome) == 429)
        #expect(status(try await run(phase, request("/w", client: "192.0.2.2"), set).outcome) == 200)
        let unlimited = try policy("rate_limits:\n  - name: w\n    match: { path: /w }\n    key: header:X-User-Id\n    fallback_key: none\n    limits: [1/1h]\n")
        for _ in 0..<3 { #expect(status(try await run(phase, request("/w"), unlimited).outcome) == 200) }
    }

    @Test func addressBlockCatchesRotation() async throws {
        let set = try policy("rate_limits:\n  - name: block\n    match: { path: /x }\n    key: ip/24\n    limits: [3/1m]\n")
        let phase = RateLimitPhase(store: RateLimitStore(), clock: { 0 })
        let codes = try await (1...4).asyncMap { self.status(try await self.run(phase, self.request("/x", client: "203.0.113.\($0)"), set).outcome) }
        #expect(codes == [200, 200, 200, 429])
        #expect(status(try await run(phase, request("/x", client: "203.0.112.1"), set).outcome) == 200)
    }

    private struct TestClaims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
    }

    private func token(sub: String, secret: String = secret, expiresIn: Double = 3_600) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(TestClaims(sub: SubjectClaim(value: sub), exp: ExpirationClaim(value: Date().addingTimeInterval(expiresIn))))
    }

    @Test func jwtClaimKeysVerifyTheSignature() async throws {
        let yaml = "rate_limits:\n  - name: api\n    match: { path: /api }\n    key: jwt:sub\n    limits: [1/1h]\n    jwt: { algorithm: HS256, secret: \"${SECRET}\" }\n"
        let set = try policy(yaml, environment: ["SECRET": Self.secret])
        let clock = Clock()
        let phase = RateLimitPhase(store: RateLimitStore(), clock: { clock.now.load(ordering: .relaxed) })
        let alice = try await token(sub: "alice")
        let first = try await run(phase, request("/api", headers: [("Authorization", "Bearer \(alice)")]), set)
        #expect(first.wasPending)
        #expect(status(first.outcome) == 200)
        // Known now: decided synchronously, and counted under alice (from another address too).
        let second = try await run(phase, request("/api", client: "198.51.100.7", headers: [("Authorization", "Bearer \(alice)")]), set)
        #expect(!second.wasPending)
        #expect(status(second.outcome) == 429)
        // Bob has his own quota.
        let bob = try await token(sub: "bob")
        #expect(status(try await run(phase, request("/api", headers: [("Authorization", "Bearer \(bob)")]), set).outcome) == 200)
        // A token signed with another key claims to be alice but is refused: its request is
        // counted under the client address instead (whose quota is still free here).
        let forged = try await token(sub: "alice", secret: "another-secret-another-secret-another-secret")
        let forgedResult = try await run(phase, request("/api", client: "198.51.100.99", headers: [("Authorization", "Bearer \(forged)")]), set)
        #expect(status(forgedResult.outcome) == 200)
        #expect(set.rateLimits.rules[0].tokens?.cachedClaims(for: forged[...], now: clock.now.load(ordering: .relaxed)).isRefused == true)
        // …and a second forged request from that address is over the address's quota.
        #expect(status(try await run(phase, request("/api", client: "198.51.100.99", headers: [("Authorization", "Bearer \(forged)")]), set).outcome) == 429)
        // An expired token is refused like a forged one.
        let expired = try await token(sub: "carol", expiresIn: -60)
        #expect(status(try await run(phase, request("/api", client: "198.51.100.50", headers: [("Authorization", "Bearer \(expired)")]), set).outcome) == 200)
        #expect(set.rateLimits.rules[0].tokens?.cachedClaims(for: expired[...], now: clock.now.load(ordering: .relaxed)).isRefused == true)
    }
}

extension JWTClaimVerifier.Cached {
    var isRefused: Bool {
        if case .refused = self { return true }
        return false
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

import Foundation
