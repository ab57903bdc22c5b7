import Logging
import NIOCore
import NIOHTTP1

/// The CORS phase: answers preflights itself, refuses state-changing requests from origins the
/// route's rule does not allow (the cheap half of CSRF defence, done once at the edge), and
/// gives allowed origins' responses the headers that let the calling page read them. The
/// application's own CORS headers are replaced on covered routes: the policy is the one truth.
final class CORSPhase: RequestPhase {
    let policy: CORSPolicy
    private static let logger = Logger(label: "portcullis.cors")

    init(policy: CORSPolicy) {
        self.policy = policy
    }

    func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        // The request's own origin as the browser saw it: X-Forwarded-Proto and -Host in the head
        // being forwarded are the listener's scheme and the Host, or a trusted proxy's values
        // (behind a load balancer that ends TLS, the site's own https:// pages are same-origin).
        let scheme = head.headers.first(name: "x-forwarded-proto")
        let request = CORSDecision.Request(
            method: head.method, headers: head.headers, isTLS: scheme.map { $0.lowercased() == "https" } ?? context.isTLS,
            authority: head.headers.first(name: "x-forwarded-host") ?? head.headers.first(name: "host") ?? context.host
        )
        let (rule, decision, shadow) = policy.evaluate(request, host: context.host, path: SecurityHeaderPolicy.path(of: context.target))
        if let shadow { logShadow(shadow, request: request, context: &context) }
        guard let rule else { return .proceed }
        switch decision {
        case .notCrossOrigin, .forwardWithoutGrant:
            context.corsGrant = CORSGrant(rule: rule, origin: nil)
            return .proceed
        case .allow(let grant):
            context.corsGrant = grant
            context.decisions.append(kind: .cors, rule: rule.name, outcome: .granted)
            return .proceed
        case .preflight(let headers):
            context.decisions.append(kind: .cors, rule: rule.name, outcome: .preflight)
            return .respondWith(HTTPResponseHead(version: .http1_1, status: .noContent, headers: headers), nil)
        case .refuse(let problem):
            context.decisions.append(kind: .cors, rule: rule.name, outcome: .refused)
            return .respond(problem)
        }
    }

    func responseHead(_ headers: inout HTTPHeaders, status: HTTPResponseStatus, context: RequestContext) {
        context.corsGrant?.apply(to: &headers)
    }

    /// A shadow rule never acts; what it would have refused is logged so it can be enforced safely.
    private func logShadow(_ rule: CORSRule, request: CORSDecision.Request, context: inout RequestContext) {
        guard case .refuse(let problem) = CORSDecision.decide(request, rule: rule) else { return }
        context.decisions.append(kind: .cors, rule: rule.name, outcome: .shadow)
        CORSPhase.logger.notice("shadow CORS rule would refuse", metadata: [
            "rule": "\(rule.name)", "request_id": "\(context.requestId)", "detail": "\(problem.detail)",
        ])
    }
}
