/// Reads the operator config's `geo:` section, reporting every problem in it.
enum GeoConfigReader {
    static let keys = ["database", "reload_interval", "forward_location"]

    static func read(_ value: YAMLValue) -> GeoConfig? {
        guard let fields = value.mapping(allowed: keys, required: ["database"]) else { return nil }
        var ok = true
        var database: String?
        if let databaseValue = fields["database"], let text = databaseValue.string() {
            if text.isEmpty {
                databaseValue.report("\(databaseValue.path) must name a MaxMind-format .mmdb file (GeoIP2/GeoLite2 Country or City, or DB-IP)")
            } else {
                database = text
            }
        }
        var interval: Int64 = 5_000_000_000
        if let field = fields["reload_interval"] {
            if let nanos = field.durationNanoseconds(atLeast: 100_000_000) { interval = nanos } else { ok = false }
        }
        var forward = false
        if let field = fields["forward_location"] {
            if let flag = field.bool() { forward = flag } else { ok = false }
        }
        guard ok, let database else { return nil }
        return GeoConfig(database: database, reloadInterval: interval, forwardLocation: forward)
    }
}
