import NIOHTTP1

/// One case of `portcullis policy-test`: a request, what the application answered, and what the
/// security team expects the gateway to make of it.
public struct PolicyTestCase: Sendable {
    public struct Request: Sendable {
        public var method: HTTPMethod
        /// As written: `https://localhost/api/items?page=2`.
        public var url: String
        /// `https` responses count as TLS (HSTS applies).
        public var isTLS: Bool
        /// Lowercased, without port, as routing sees it.
        public var host: String
        /// Origin-form: `/api/items?page=2`.
        public var target: String
        public var headers: [(name: String, value: String)]
        public var client: IPAddress?
        /// Where the client is, for geo rules (the database's answer; `.some(nil)`: unknown).
        /// nil: the case is not about location, and geo rules are not applied to it.
        public var location: GeoLocation??
        /// The request is sent this many times (rate-limit cases); expectations apply to the last.
        public var repeatCount: Int = 1
        /// Nanoseconds between the repeated requests (0: all at the same instant).
        public var interval: Int64 = 0
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
    }

    public struct Expectation: Sendable {
        /// Each header with every value expected, in order (one value: exactly one field).
        public var headers: [(name: String, values: [String])] = []
        public var absent: [String] = []
        /// The header rule expected to apply, or `global`.
        public var rule: String?
        /// The shadow rule expected to match, or `none`.
        public var shadowRule: String?
        /// The status the client receives: the gateway's own answer (204 preflight, 403 refused)
        /// or else the application's.
        public var status: Int?
        /// The CORS rule expected to cover the request, or `none`.
        public var corsRule: String?
        /// The enforcing rate-limit rule expected to count the last request, or `none`.
        public var rateLimitRule: String?
        /// The enforcing geo rule expected to decide, or `none`.
        public var geoRule: String?
    }

    public var name: String
    public var location: SourceLocation
    public var request: Request
    public var response: Response
    public var expect: Expectation
}
