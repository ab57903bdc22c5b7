/// The gateway does not start when a `geo:` rule has no database to look addresses up in:
/// the operator config has no `geo:` section, or its file is missing or corrupt.
enum GeoStartupCheck {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func verify(policy: PolicySet, store: GeoDatabaseStore?) throws(Failure) {
        guard let first = policy.geo.rules.first else { return }
        let where_ = "\(first.common.location.file):\(first.common.location.line)"
        let rules = "geo rule '\(first.name)' (\(where_))\(policy.geo.rules.count > 1 ? " and \(policy.geo.rules.count - 1) more" : "")"
        guard let store else {
            throw Failure(description: "\(rules) needs a geo database, but the config has no geo section; expected geo: { database: PATH.mmdb }")
        }
        if store.database == nil {
            throw Failure(description: "\(rules) needs the geo database \(store.config.database), which did not open: \(store.openError ?? "unknown error")")
        }
    }
}
