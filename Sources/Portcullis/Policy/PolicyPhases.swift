/// The running gateway's request phases that policy rules plug into: they hold what outlives a
/// policy snapshot (the rate-limit store and its counters, the scanner, the geo database), so a
/// reload keeps them. Validation and policy tests compile without any (`none`).
public struct PolicyPhases: Sendable {
    public var rateLimit: RateLimitPhase?
    public var uploadScan: UploadScanPhase?
    public var geo: GeoPhase?

    public init(rateLimit: RateLimitPhase? = nil, uploadScan: UploadScanPhase? = nil, geo: GeoPhase? = nil) {
        self.rateLimit = rateLimit
        self.uploadScan = uploadScan
        self.geo = geo
    }

    public static let none = PolicyPhases()
}
