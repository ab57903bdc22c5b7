import JWTKit
import NIOCore
import Synchronization

/// Verifies the bearer tokens of one rule with jwt-kit and remembers the outcome, so the request
/// path stays synchronous: jwt-kit 5 verifies through an actor (async), which happens off the
/// event loop once per token; the verified claims are then kept until the token's `exp` (at
/// most `maximumAge`), and a refused token is remembered for `refusalAge` so a client repeating
/// a forged token does not cost a verification each time. Memory is bounded: `capacity` tokens
/// in 16 shards, each with its own lock; a full shard drops expired entries, then its oldest.
public final class JWTClaimVerifier: Sendable {
    public enum Cached {
        case verified([String: String])
        /// A forged, malformed, expired or not-yet-valid token.
        case refused
        /// Not seen yet (or forgotten): verify it.
        case unknown
    }

    private struct Entry {
        var token: String
        var claims: [String: String]?
        var expiresAt: Int64
        var insertedAt: Int64
    }

    private final class Shard: Sendable {
        let entries = Mutex<[Int: Entry]>([:])
    }

    private let shards: [Shard]
    private let perShard: Int
    private let keys: Task<JWTKeyCollection?, Never>
    private let maximumAge: Int64
    private let refusalAge: Int64

    /// - Parameter now: the caller's monotonic clock, in nanoseconds (as every `now` here).
    public init(key: JWTKeyMaterial, capacity: Int = 16_384, maximumAge: Int64 = 600_000_000_000, refusalAge: Int64 = 60_000_000_000) {
        shards = (0..<16).map { _ in Shard() }
        perShard = max(1, capacity / 16)
        self.maximumAge = maximumAge
        self.refusalAge = refusalAge
        keys = Task {
            let collection = JWTKeyCollection()
            do {
                try await key.add(to: collection)
                return collection
            } catch {
                return nil
            }
        }
    }

    /// The cached outcome for `token`, without allocating.
    public func cachedClaims(for token: Substring, now: Int64) -> Cached {
        let hash = Self.hash(token)
        return shards[hash & 15].entries.withLock { entries in
            guard let entry = entries[hash], entry.token.utf8.elementsEqual(token.utf8) else { return .unknown }
            guard entry.expiresAt > now else { return .unknown }
            return entry.claims.map(Cached.verified) ?? .refused
        }
    }

    /// Verifies `token` off the event loop and caches the outcome; the future completes on
    /// `eventLoop` once `cachedClaims` knows the answer (it never fails).
    public func resolve(_ token: Substring, now: Int64, eventLoop: EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let token = String(token)
        Task {
            let outcome = await self.verify(token)
            self.store(token, claims: outcome.claims, validFor: outcome.validFor, now: now)
            promise.succeed(())
        }
        return promise.futureResult
    }

    /// Verifies now, for tests and `policy-test`, and caches the outcome like `resolve`.
    public func verifyAndCache(_ token: String, now: Int64) async {
        let outcome = await verify(token)
        store(token, claims: outcome.claims, validFor: outcome.validFor, now: now)
    }

    private func verify(_ token: String) async -> (claims: [String: String]?, validFor: Int64) {
        guard let collection = await keys.value else { return (nil, refusalAge) }
        do {
            let payload = try await collection.verify(token, as: RateLimitTokenClaims.self)
            var validFor = maximumAge
            if let expiration = payload.expiration {
                // An `exp` centuries away is a number Int64 cannot hold in nanoseconds.
                let nanoseconds = expiration.timeIntervalSinceNow * 1e9
                if nanoseconds < Double(validFor) { validFor = nanoseconds > 0 ? Int64(nanoseconds) : 0 }
            }
            return (payload.values, validFor)
        } catch {
            return (nil, refusalAge)
        }
    }

    private func store(_ token: String, claims: [String: String]?, validFor: Int64, now: Int64) {
        let hash = Self.hash(token[...])
        let entry = Entry(token: token, claims: claims, expiresAt: now + validFor, insertedAt: now)
        shards[hash & 15].entries.withLock { entries in
            if entries[hash] == nil, entries.count >= perShard {
                entries = entries.filter { $0.value.expiresAt > now }
                if entries.count >= perShard, let oldest = entries.min(by: { $0.value.insertedAt < $1.value.insertedAt }) {
                    entries.removeValue(forKey: oldest.key)
                }
            }
            entries[hash] = entry
        }
    }

    /// Tokens currently remembered (verified or refused).
    public var cachedTokens: Int { shards.reduce(0) { sum, shard in sum + shard.entries.withLock { $0.count } } }

    private static func hash(_ token: Substring) -> Int {
        var hasher = Hasher()
        var copy = token
        if copy.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
        return hasher.finalize() & Int.max
    }
}
