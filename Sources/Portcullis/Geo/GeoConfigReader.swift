/// Reads the operator config's `geo:` section.
enum GeoConfigReader {
    static let keys = ["database", "reload_interval", "forward_location"]

    static func read(_ value: YAMLValue) -> GeoConfig? {
        guard let fields = value.mapping(allowed: keys, required: ["database"]),
            let databaseValue = fields["database"], let database = databaseValue.string()
        else { return nil }
        if database.isEmpty {
            databaseValue.report("\(databaseValue.path) must name a MaxMind-format .mmdb file (GeoIP2/GeoLite2 Country or City, or DB-IP)")
            return nil
        }
        var config = GeoConfig(database: database)
        if let interval = fields["reload_interval"] {
            guard let nanos = interval.durationNanoseconds(atLeast: 100_000_000) else { return nil }
            config.reloadInterval = nanos
        }
        if let forward = fields["forward_location"] {
            guard let flag = forward.bool() else { return nil }
            config.forwardLocation = flag
        }
        return config
    }
}
