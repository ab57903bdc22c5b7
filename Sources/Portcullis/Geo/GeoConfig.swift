/// The operator's `geo:` section: where the MaxMind-format database is, how often it is
/// checked for a replacement, and whether the application is told where its clients are.
public struct GeoConfig: Sendable {
    /// A GeoIP2/GeoLite2 Country or City file (or DB-IP's compatible one). Replace it by
    /// renaming a new file over it (as geoipupdate does): it is memory-mapped.
    public var database: String
    public var reloadInterval: Int64 = 5_000_000_000
    /// Send `X-Geo-Country` (and `X-Geo-Subdivision` when known) to the application on every
    /// request; client-supplied copies are removed either way.
    public var forwardLocation = false

    public init(database: String, reloadInterval: Int64 = 5_000_000_000, forwardLocation: Bool = false) {
        self.database = database
        self.reloadInterval = reloadInterval
        self.forwardLocation = forwardLocation
    }
}
