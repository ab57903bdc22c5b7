import Logging
import NIOCore
import NIOHTTP1

/// The geo gate: looks the client's address (already resolved through trusted proxies, never a
/// raw `X-Forwarded-For`) up in the database once per request, tells the application where the
/// client is when configured, and applies the first enforcing `geo:` rule that matches.
/// Synchronous but for the first sight of an age token, which jwt-kit verifies off the loop
/// (`.pending`); the outcome is cached per token, so repeat requests stay synchronous.
public final class GeoPhase: RequestPhase {
    public let store: GeoDatabaseStore?
    private let forwardLocation: Bool
    private let logger: Logger
    private let clock: @Sendable () -> Int64

    public static let countryHeader = "X-Geo-Country"
    public static let subdivisionHeader = "X-Geo-Subdivision"

    /// - Parameter store: nil when the config has no `geo:` section: every address is then an
    ///   unknown location.
    public init(store: GeoDatabaseStore?, logger: Logger = Logger(label: "portcullis.geo"),
                clock: @escaping @Sendable () -> Int64 = { Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds) }) {
        self.store = store
        self.forwardLocation = store?.config.forwardLocation ?? false
        self.logger = logger
        self.clock = clock
    }

    /// Whether every request needs the phase (to add `X-Geo-*`), rules or not.
    public var forwardsLocation: Bool { forwardLocation }

    @inline(__always)
    func lookup(_ address: IPAddress) -> GeoLookup {
        store?.lookup(address) ?? .noDatabase
    }

    public func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        var found: GeoLookup?
        if forwardLocation {
            let result = lookup(context.clientAddress)
            found = result
            // Client-supplied X-Geo-* never reach this point (ForwardingHeaders drops them).
            if let location = result.location {
                head.headers.add(name: Self.countryHeader, value: location.country)
                if let subdivision = location.subdivision { head.headers.add(name: Self.subdivisionHeader, value: subdivision) }
            }
        }
        let policy = context.policies.geo
        if policy.rules.isEmpty { return .proceed }
        let request = Request(client: context.clientAddress, method: head.method, host: context.host, target: context.target,
                              headers: head.headers, isTLS: context.isTLS, requestId: context.requestId)
        return evaluate(policy, request: request, found: found, decisions: &context.decisions, eventLoop: eventLoop)
    }

    /// What the phase reads of a request (copied by value into an asynchronous continuation).
    public struct Request: Sendable {
        /// Resolved through trusted proxies.
        public var client: IPAddress
        public var method: HTTPMethod
        /// Lowercased, without port.
        public var host: String
        /// Origin-form.
        public var target: String
        public var headers: HTTPHeaders
        public var isTLS: Bool
        public var requestId: String

        public init(client: IPAddress, method: HTTPMethod, host: String, target: String, headers: HTTPHeaders, isTLS: Bool, requestId: String) {
            self.client = client
            self.method = method
            self.host = host
            self.target = target
            self.headers = headers
            self.isTLS = isTLS
            self.requestId = requestId
        }

        /// `https://host/target`, as the client asked for it.
        var originalURL: String {
            (isTLS ? "https://" : "http://") + (headers.first(name: "host") ?? host) + target
        }
    }

    /// Decides a request outside the request path (benchmarks, tests): the lookup and the rules.
    public func evaluate(_ request: Request, policy: GeoPolicy, decisions: inout AccessLogDecisions, eventLoop: EventLoop) -> PhaseOutcome {
        evaluate(policy, request: request, found: nil, decisions: &decisions, eventLoop: eventLoop)
    }

    /// The first enforcing rule that matches decides; the address is looked up once, when a rule matches.
    private func evaluate(_ policy: GeoPolicy, request: Request, found: GeoLookup?, decisions: inout AccessLogDecisions, eventLoop: EventLoop) -> PhaseOutcome {
        var found = found
        let path = SecurityHeaderPolicy.path(of: request.target)
        var next = 0
        while let index = policy.rules.nextMatch(from: next, host: request.host, path: path, method: request.method) {
            let rule = policy.rules[index]
            next = index + 1
            let result = found ?? lookup(request.client)
            found = result
            let decision = decide(rule, lookup: result, headers: request.headers)
            if rule.isShadow {
                shadow(rule, decision: decision, requestId: request.requestId, decisions: &decisions, eventLoop: eventLoop)
                continue
            }
            return enforce(rule, decision: decision, lookup: result, request: request, decisions: &decisions, eventLoop: eventLoop)
        }
        return .proceed
    }

    /// What a rule makes of a request, before any answer is built.
    enum Decision {
        case allow
        /// A valid age token lets a restricted location through.
        case grant
        case deny
        case redirect(String)
        /// A token not verified yet; `otherwise` applies if it fails.
        case verify(Substring, GeoAgeToken, otherwise: Fallback)

        enum Fallback { case deny, redirect(String) }
    }

    func decide(_ rule: GeoRule, lookup: GeoLookup, headers: HTTPHeaders) -> Decision {
        let restricted: Bool
        if let location = lookup.location {
            switch rule.verdict(for: location) {
            case .unrestricted: return .allow
            case .restricted: restricted = true
            case .imprecise: restricted = false
            }
        } else {
            restricted = false
        }
        if !restricted {
            // No location, or not precise enough for the rule.
            switch rule.unknownLocation {
            case .allow: return .allow
            case .deny: return .deny
            case .restricted: break
            }
        }
        switch rule.action {
        case .deny:
            return .deny
        case .redirect(let url):
            return .redirect(url)
        case .requireAgeToken(let elseRedirect):
            let fallback: Decision.Fallback = elseRedirect.map { .redirect($0) } ?? .deny
            guard let ageToken = rule.ageToken, let token = ageToken.token(in: headers) else { return Self.apply(fallback) }
            switch ageToken.verifier.cachedClaims(for: token, now: clock()) {
            case .verified(let claims): return ageToken.accepts(claims) ? .grant : Self.apply(fallback)
            case .refused: return Self.apply(fallback)
            case .unknown: return .verify(token, ageToken, otherwise: fallback)
            }
        }
    }

    private static func apply(_ fallback: Decision.Fallback) -> Decision {
        switch fallback {
        case .deny: return .deny
        case .redirect(let url): return .redirect(url)
        }
    }

    private func enforce(_ rule: GeoRule, decision: Decision, lookup: GeoLookup, request: Request,
                         decisions: inout AccessLogDecisions, eventLoop: EventLoop) -> PhaseOutcome {
        switch decision {
        case .verify(let token, let ageToken, let fallback):
            let deferred = decisions.appendDeferred()
            let url = request.originalURL
            let now = clock()
            return .pending(ageToken.verifier.resolve(token, now: now, eventLoop: eventLoop).map { [self] in
                var resolved: Decision
                if case .verified(let claims) = ageToken.verifier.cachedClaims(for: token, now: now), ageToken.accepts(claims) {
                    resolved = .grant
                } else {
                    resolved = Self.apply(fallback)
                }
                var decisions = AccessLogDecisions()
                let outcome = self.answer(rule, decision: resolved, lookup: lookup, url: url, decisions: &decisions)
                decisions.forEach { deferred.decision = $0 }
                return outcome
            })
        default:
            // The URL is built only for a redirect: the common answers allocate nothing.
            let url = if case .redirect = decision { request.originalURL } else { "" }
            return answer(rule, decision: decision, lookup: lookup, url: url, decisions: &decisions)
        }
    }

    /// The outcome of a settled decision, recorded for the access log and metrics.
    func answer(_ rule: GeoRule, decision: Decision, lookup: GeoLookup, url: String,
                        decisions: inout AccessLogDecisions) -> PhaseOutcome {
        switch decision {
        case .allow:
            decisions.append(kind: .geo, rule: rule.name, outcome: .allowed)
            return .proceed
        case .grant:
            decisions.append(kind: .geo, rule: rule.name, outcome: .granted)
            return .proceed
        case .deny, .verify:
            decisions.append(kind: .geo, rule: rule.name, outcome: lookup.location == nil ? .unknownLocation : .denied)
            return .respond(GeoAnswer.denied(rule: rule, location: lookup.location))
        case .redirect(let template):
            decisions.append(kind: .geo, rule: rule.name, outcome: .redirected)
            return GeoAnswer.redirect(to: template, originalURL: url)
        }
    }

    /// A shadow rule's block is logged and counted, never enforced; a token it has not seen is
    /// verified in the background so the next request with it is judged.
    private func shadow(_ rule: GeoRule, decision: Decision, requestId: String, decisions: inout AccessLogDecisions, eventLoop: EventLoop) {
        switch decision {
        case .allow, .grant:
            return
        case .verify(let token, let ageToken, _):
            _ = ageToken.verifier.resolve(token, now: clock(), eventLoop: eventLoop)
        case .deny, .redirect:
            decisions.append(kind: .geo, rule: rule.name, outcome: .shadow)
            logger.notice("shadow geo rule would block", metadata: ["rule": "\(rule.name)", "request.id": "\(requestId)"])
        }
    }
}
