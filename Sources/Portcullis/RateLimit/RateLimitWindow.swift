/// One limit of a rule: `requests` per `length`, with its `RateLimit-Policy` name and item
/// computed once when the policy is compiled (never per request).
public struct RateLimitWindow: Sendable, Hashable {
    public let requests: Int
    /// Nanoseconds.
    public let length: Int64
    /// The quota policy name in the RateLimit fields: the rule's name, or `NAME-1s`, `NAME-1h`
    /// when the rule has several windows (each needs its own name in the field).
    public let policyName: String
    /// `"login";q=5;w=60`, the member of `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers).
    public let policyItem: String
    /// `"login";r=` : the start of this window's `RateLimit` member.
    let remainingPrefix: String

    public init(requests: Int, length: Int64, policyName: String) {
        self.requests = requests
        self.length = length
        self.policyName = policyName
        let seconds = max(1, (length + 999_999_999) / 1_000_000_000)
        self.policyItem = "\"\(policyName)\";q=\(requests);w=\(seconds)"
        self.remainingPrefix = "\"\(policyName)\";r="
    }

    /// What a decision needs of a window: plain integers, so reading them copies no strings
    /// (and retains nothing) on the hot path.
    public struct Limit: Sendable, Hashable {
        public let requests: Int
        public let length: Int64
    }

    public var limit: Limit { Limit(requests: requests, length: length) }

    /// `2/1s` as written in a policy file.
    public var description: String { "\(requests)/\(Units.formatDuration(length))" }
}
