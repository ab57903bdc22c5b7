import Testing
@testable import Portcullis

@Suite struct RedisConfigTests {
    static let minimal = ConfigLoaderTests.minimal

    private func problems(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: environment)
            Issue.record("expected the config to be refused, it loaded")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func urlsOfEveryForm() throws {
        let plain = try RedisConfig.parse(url: "redis://10.0.0.5").get()
        #expect(plain.endpoint == .tcp(host: "10.0.0.5", port: 6379))
        #expect(plain.database == 0)
        #expect(plain.password == nil)
        let full = try RedisConfig.parse(url: "redis://app:pa:ss@cache.internal:6380/3").get()
        #expect(full.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(full.username == "app")
        #expect(full.password == "pa:ss")
        #expect(full.database == 3)
        #expect(try RedisConfig.parse(url: "redis://:secret@[::1]:7000/").get().endpoint == .tcp(host: "::1", port: 7000))
        #expect(try RedisConfig.parse(url: "redis://:secret@[::1]:7000/").get().password == "secret")
        let socket = try RedisConfig.parse(url: "unix:///run/redis/redis.sock?db=2").get()
        #expect(socket.endpoint == .unix(path: "/run/redis/redis.sock"))
        #expect(socket.database == 2)
        #expect(try RedisConfig.parse(url: "/tmp/r.sock").get().endpoint == .unix(path: "/tmp/r.sock"))
        for bad in ["http://x:1", "redis://host:port", "redis://h:1/db", "unix://relative.sock", "unix:///a?x=1"] {
            #expect(throws: RedisConfig.URLError.self, "\(bad)") { try RedisConfig.parse(url: bad).get() }
        }
    }

    @Test func theFlagReplacesTheServerAndKeepsTheRest() throws {
        var configured = try RedisConfig.parse(url: "redis://a:1/1").get()
        configured.timeout = 5_000_000
        configured.isDefaultStore = false
        let merged = try RedisConfig.overriding(configured, url: "redis://:pw@b:2/4").get()
        #expect(merged.endpoint == .tcp(host: "b", port: 2))
        #expect(merged.password == "pw")
        #expect(merged.database == 4)
        #expect(merged.timeout == 5_000_000)
        #expect(merged.isDefaultStore)
    }

    @Test func theSectionIsRead() throws {
        let yaml = Self.minimal + """

            redis:
              url: redis://127.0.0.1:6390/2
              password: "${REDIS_PASSWORD}"
              pool_size: 4
              timeout: 5ms
              default_store: local
              circuit_breaker: { failures: 3, backoff: 50ms, max_backoff: 2s }
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "test.yaml", environment: ["REDIS_PASSWORD": "hunter2"])
        let redis = try #require(config.redis)
        #expect(redis.endpoint == .tcp(host: "127.0.0.1", port: 6390))
        #expect(redis.database == 2)
        #expect(redis.password == "hunter2")
        #expect(redis.poolSize == 4)
        #expect(redis.timeout == 5_000_000)
        #expect(!redis.isDefaultStore)
        #expect(redis.failuresToOpen == 3)
        #expect(redis.backoff == 50_000_000)
        #expect(redis.maxBackoff == 2_000_000_000)
    }

    @Test func badValuesAreReportedWhereWritten() {
        let yaml = Self.minimal + """

            redis:
              url: http://127.0.0.1:6379
              pool_size: 0
              timeout: soon
              default_store: shared
              password: "${NOT_SET}"
              circuit_breaker: { failures: 3, backoff: 1s, max_backoff: 10ms }
            """
        #expect(problems(yaml).sorted() == [
            "test.yaml:11:8: redis.url must be redis://host:port/db, unix:///path/to/socket or a socket path; found 'http://127.0.0.1:6379'",
            "test.yaml:12:14: redis.pool_size must be a whole number from 1 to 64; found '0'",
            "test.yaml:13:12: redis.timeout must be a duration like 250ms, 10s, 5m or 1h (at least 1ms); found 'soon'",
            "test.yaml:14:18: redis.default_store must be redis (rules that name no store share their counters through Redis) or local; found 'shared'",
            "test.yaml:15:13: redis.password names the environment variable 'NOT_SET', which is not set",
            "test.yaml:16:61: redis.circuit_breaker.max_backoff is shorter than backoff (1s); expected at least the first back-off",
        ])
    }

    @Test func aRuleNamesItsStore() throws {
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: """
            rate_limits:
              - name: shared
                match: { path: /a }
                limits: [5/1m]
                store: redis
              - name: mine
                match: { path: /b }
                limits: [5/1m]
                store: local
              - name: default
                match: { path: /c }
                limits: [5/1m]
            """)])
        #expect(set.rateLimits.rules.map(\.store) == [.redis, .local, nil])
        do {
            _ = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: """
                rate_limits:
                  - name: odd
                    match: { path: /a }
                    limits: [5/1m]
                    store: memcached
                """)])
            Issue.record("expected the policy to be refused")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "p.yaml:5:12: rule 'odd': rate_limits[0].store must be redis (shared by every instance) or local (this process only); found 'memcached'",
            ])
        }
    }

    @Test func theSharedFingerprintIsTheSameInEveryProcess() throws {
        let text = """
            rate_limits:
              - name: shared
                match: { path: /a }
                key: ip+header:X-Api-Key
                limits: [5/1m, 100/1h]
            """
        let rule = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: text)]).rateLimits.rules[0]
        // FNV-1a of "shared|ip+header:x-api-key|5/1m,100/1h": fixed, unlike the seeded fingerprint.
        var expected: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "shared|\(rule.key)|\(rule.windows.map(\.description).joined(separator: ","))".utf8 {
            expected = (expected ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        #expect(rule.sharedFingerprint == expected)
        let again = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: text)]).rateLimits.rules[0]
        #expect(again.sharedFingerprint == rule.sharedFingerprint)
    }
}
