/// Every policy kind, compiled from one directory of policy files: the immutable snapshot a
/// request uses from start to finish (a reload publishes a new one).
public final class PolicySet: Sendable {
    public let headers: SecurityHeaderPolicy
    public let cors: CORSPolicy
    public let rateLimits: RateLimitPolicy
    public let uploads: UploadPolicy
    public let geo: GeoPolicy
    /// The files it was read from, in the order rules were taken from them.
    public let files: [String]
    /// SHA-256 of the files' names and contents, first 12 hex digits: which policy is loaded
    /// (logged on every reload, and exported as an info metric).
    public let digest: String
    /// The phases a request goes through before it is forwarded, in order; kinds without
    /// rules have none, so they cost nothing.
    public let requestPhases: [RequestPhase]

    /// - Parameter phases: the process's phases for the kinds that need one; each is used only
    ///   when there are rules of its kind.
    public init(headers: SecurityHeaderPolicy, cors: CORSPolicy = .empty, rateLimits: RateLimitPolicy = .empty, uploads: UploadPolicy = .empty,
                geo: GeoPolicy = .empty, files: [String], digest: String = "", phases: PolicyPhases = .none) {
        self.headers = headers
        self.cors = cors
        self.rateLimits = rateLimits
        self.uploads = uploads
        self.geo = geo
        self.files = files
        self.digest = digest
        var requestPhases: [RequestPhase] = []
        // CORS first: a preflight is answered before it could count against a limit.
        if !cors.rules.isEmpty { requestPhases.append(CORSPhase(policy: cors)) }
        // Geo before rate limits: a request refused for its location never counts against a limit.
        // Rules without the gateway's phase (no `geo:` config) see every location as unknown.
        if !geo.rules.isEmpty || phases.geo?.forwardsLocation == true { requestPhases.append(phases.geo ?? GeoPhase(store: nil)) }
        if !rateLimits.rules.isEmpty, let rateLimit = phases.rateLimit { requestPhases.append(rateLimit) }
        // Last: the body is read only for a request every other phase let through.
        if !uploads.rules.isEmpty, let uploadScan = phases.uploadScan { requestPhases.append(uploadScan) }
        self.requestPhases = requestPhases
    }

    /// No policies: responses pass untouched.
    public static let empty = PolicySet(headers: .empty, files: [])

    /// Every rule name of every kind, in file order (for policy tests and reports).
    public var ruleNames: [String] { headers.rules.map(\.name) + cors.rules.map(\.name) + rateLimits.rules.map(\.name) + uploads.rules.map(\.name) + geo.rules.map(\.name) }
}
