import Foundation
import NIOCore
import NIOHTTP1

/// The upload phase: on a route an `uploads:` rule covers, the body is read whole (nothing is
/// forwarded meanwhile), checked on the scan pool (types, then malware), and only a clean body
/// goes on. A route without upload rules never reaches it (the policy has no such phase).
public final class UploadScanPhase: RequestPhase {
    public let scanner: UploadScanner

    public init(scanner: UploadScanner) {
        self.scanner = scanner
    }

    public func requestHead(_ head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        let policy = context.policies.uploads
        if policy.rules.isEmpty { return .proceed }
        guard let rule = policy.select(host: context.host, path: SecurityHeaderPolicy.path(of: context.target), method: head.method) else { return .proceed }
        let overLimit = AccessLogDecision(kind: .upload, rule: rule.name, outcome: .tooLarge)
        if let length = head.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > rule.maxBytes {
            context.decisions.append(overLimit)
            return .respond(Self.tooLarge(length: length, rule: rule))
        }
        return .collectBody(maxBytes: rule.maxBytes, overLimit: overLimit)
    }

    public func requestBody(_ body: RequestBody, head: inout HTTPRequestHead, context: inout RequestContext, eventLoop: EventLoop) -> PhaseOutcome {
        guard let rule = context.policies.uploads.select(host: context.host, path: SecurityHeaderPolicy.path(of: context.target), method: head.method) else { return .proceed }
        if body.size == 0 { return .proceed }
        let report = UploadScanReport()
        context.uploadScan = report
        let record = Quarantine.Record(
            time: Date(), requestId: context.requestId, client: context.clientAddress.description, route: context.route.name,
            rule: rule.name, reason: "", fileName: nil, size: body.size
        )
        let requestId = context.requestId
        return .pending(scanner.inspect(body, contentType: head.headers.first(name: "Content-Type"), rule: rule, record: record, eventLoop: eventLoop).map { verdict in
            report.quarantined = verdict.quarantined
            let (outcome, answer) = Self.answer(verdict, rule: rule, requestId: requestId)
            report.decision = AccessLogDecision(kind: .upload, rule: rule.name, outcome: outcome)
            return answer
        })
    }

    /// The access-log outcome and what the request gets.
    static func answer(_ verdict: UploadVerdict, rule: UploadRule, requestId: String) -> (AccessLogDecision.Outcome, PhaseOutcome) {
        switch verdict.finding {
        case .clean:
            return (.clean, .proceed)
        case .infected(let signature, let fileName):
            let what = fileName.map { "the file '\($0)'" } ?? "the upload"
            let detail = rule.showSignature ? "\(what) contains malware (\(signature))" : "\(what) was refused by the malware scanner"
            return (.infected, .respond(ProblemResponse(status: rule.blockedStatus, slug: "upload-infected", detail: detail)))
        case .typeRefused(let type, let fileName):
            let what = fileName.map { "the file '\($0)'" } ?? "the upload"
            let allowed = rule.allowTypes.map(\.rawValue).joined(separator: ", ")
            return (.typeRefused, .respond(ProblemResponse(status: rule.blockedStatus, slug: "upload-type-refused", detail: "\(what) is \(type.rawValue) by its content; this route accepts \(allowed)")))
        case .notScanned:
            if rule.onScannerError == .allow { return (.scannerError, .proceed) }
            return (.scannerError, .respond(ProblemResponse(status: .serviceUnavailable, slug: "scanner-unavailable", detail: "the upload could not be scanned, so it was not accepted; try again later", extraHeaders: [("Retry-After", "5")])))
        case .malformed(let problem):
            return (.refused, .respond(ProblemResponse(status: .badRequest, slug: "upload-malformed", detail: problem)))
        }
    }

    static func tooLarge(length: Int, rule: UploadRule) -> ProblemResponse {
        ProblemResponse(status: .payloadTooLarge, slug: "body-too-large", detail: "the request body is \(length) bytes; uploads here may be at most \(rule.maxBytes)")
    }
}
