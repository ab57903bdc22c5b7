/// The geo database's part of `/metrics`: which file is loaded, its reloads, and lookups by result.
/// (Decisions of geo rules are in `portcullis_policy_decisions_total{kind="geo"}`.)
enum GeoMetrics {
    static func render(into out: inout PrometheusTextWriter, store: GeoDatabaseStore?) {
        guard let store else { return }
        out.family("portcullis_geo_database_info", type: "gauge", help: "The geo database in use (1; 0 when none is loaded): its path, type and build time (seconds since 1970).")
        if let database = store.database {
            out.sample("portcullis_geo_database_info", [("path", database.path), ("type", database.databaseType), ("build_epoch", String(database.buildEpoch))], 1)
        } else {
            out.sample("portcullis_geo_database_info", [("path", store.config.database), ("type", "none"), ("build_epoch", "0")], 0)
        }
        out.family("portcullis_geo_database_reloads_total", type: "counter", help: "Replacements of the geo database file: ok (swapped in) or failed (did not open; the previous database stays).")
        out.sample("portcullis_geo_database_reloads_total", [("result", "ok")], store.reloadsSucceeded.load(ordering: .relaxed))
        out.sample("portcullis_geo_database_reloads_total", [("result", "failed")], store.reloadsFailed.load(ordering: .relaxed))
        out.family("portcullis_geo_lookups_total", type: "counter", help: "Client addresses looked up, by result: found, not_found (not in the database), private (a private range, not looked up), no_database.")
        for label in GeoLookup.labels {
            out.sample("portcullis_geo_lookups_total", [("result", label)], store.lookupCount(label))
        }
    }
}
