/// One decision a phase took about a request, as the access log shows it:
/// `{"kind":"rate_limit","rule":"login","outcome":"limited"}`. Kind and outcome are closed sets
/// (static strings, nothing to allocate); the rule is the policy's own name string (retained, not copied).
public struct AccessLogDecision: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case rateLimit = "rate_limit"
        case cors
        case headers
        case geo
        case upload
    }

    public enum Outcome: String, Sendable {
        // Let through.
        case allowed, applied, clean, granted
        /// Counted by a rule in shadow mode: would have blocked, did not.
        case shadow
        // Blocked by the gateway.
        case limited, banned, refused, denied, infected
        case typeRefused = "type_refused"
        case tooLarge = "too_large"
        case redirected
        /// A geo rule refused a client whose location is not known (not in the database, a private range).
        case unknownLocation = "unknown_location"
        /// A CORS preflight the gateway answered itself.
        case preflight
        /// The rule's store or scanner failed; the rule's `on_*_error` decided the rest.
        case storeError = "store_error"
        case scannerError = "scanner_error"

        /// Outcomes a sampled-out line would hide from the security team: blocks, shadow hits and
        /// failures. A request with one of these is always logged, whatever its status.
        public var isNotable: Bool {
            switch self {
            case .allowed, .applied, .clean, .granted, .preflight: return false
            default: return true
            }
        }
    }

    public var kind: Kind
    public var rule: String
    public var outcome: Outcome

    public init(kind: Kind, rule: String, outcome: Outcome) {
        self.kind = kind
        self.rule = rule
        self.outcome = outcome
    }
}
