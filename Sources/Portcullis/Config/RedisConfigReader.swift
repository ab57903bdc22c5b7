/// Reads the operator config's `redis:` section (every problem reported with its position).
enum RedisConfigReader {
    static let keys = ["url", "username", "password", "database", "pool_size", "timeout", "connect_timeout", "default_store", "circuit_breaker"]
    static let breakerKeys = ["failures", "backoff", "max_backoff"]

    static func read(_ value: YAMLValue) -> RedisConfig? {
        guard let fields = value.mapping(allowed: keys, required: ["url"]) else { return nil }
        // A bad URL is reported; the other keys are still read, so every problem shows at once.
        var ok = true
        var config = RedisConfig(endpoint: .tcp(host: "127.0.0.1", port: 6379))
        if let urlValue = fields["url"], let url = urlValue.string() {
            switch RedisConfig.parse(url: url) {
            case .success(let parsed): config = parsed
            case .failure(let error):
                urlValue.report("\(urlValue.path) \(error.message); found '\(url)'")
                ok = false
            }
        } else {
            ok = false
        }
        if let field = fields["username"] {
            if let text = field.string() { config.username = text } else { ok = false }
        }
        if let field = fields["password"] {
            // Usually `${REDIS_PASSWORD}` or `${file:/run/secrets/redis}`; an empty value means none.
            if let text = field.string() { config.password = text.isEmpty ? nil : text } else { ok = false }
        }
        if let field = fields["database"] {
            if let number = field.int(in: 0...15_999) { config.database = number } else { ok = false }
        }
        if let field = fields["pool_size"] {
            if let number = field.int(in: 1...64) { config.poolSize = number } else { ok = false }
        }
        if let field = fields["timeout"] {
            if let nanos = field.durationNanoseconds(atLeast: 1_000_000) { config.timeout = nanos } else { ok = false }
        }
        if let field = fields["connect_timeout"] {
            if let nanos = field.durationNanoseconds(atLeast: 1_000_000) { config.connectTimeout = nanos } else { ok = false }
        }
        if let field = fields["default_store"], let text = field.string() {
            switch text {
            case "redis": config.isDefaultStore = true
            case "local": config.isDefaultStore = false
            default:
                field.report("\(field.path) must be redis (rules that name no store share their counters through Redis) or local; found '\(text)'")
                ok = false
            }
        } else if fields["default_store"] != nil {
            ok = false
        }
        if let breaker = fields["circuit_breaker"] {
            if let breakerFields = breaker.mapping(allowed: breakerKeys) {
                if let field = breakerFields["failures"] {
                    if let number = field.int(in: 1...1000) { config.failuresToOpen = number } else { ok = false }
                }
                if let field = breakerFields["backoff"] {
                    if let nanos = field.durationNanoseconds(atLeast: 1_000_000) { config.backoff = nanos } else { ok = false }
                }
                if let field = breakerFields["max_backoff"] {
                    if let nanos = field.durationNanoseconds(atLeast: 1_000_000) {
                        if nanos < config.backoff {
                            field.report("\(field.path) is shorter than backoff (\(Units.formatDuration(config.backoff))); expected at least the first back-off")
                            ok = false
                        } else {
                            config.maxBackoff = nanos
                        }
                    } else { ok = false }
                }
            } else {
                ok = false
            }
        }

        return ok ? config : nil
    }
}
