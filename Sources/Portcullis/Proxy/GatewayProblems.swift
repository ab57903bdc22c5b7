import NIOHTTP1

/// The problem answers for malformed or oversized request heads, and for the gateway's own failures.
enum GatewayProblems {
    /// A head NIO's HTTP/1 parser refused: 431 when over the limits, `ambiguous-framing` for
    /// Content-Length / Transfer-Encoding trouble, `bad-request` for the rest.
    static func parseError(_ error: HTTPParserError, limits: LimitsConfig) -> ProblemResponse {
        switch error {
        case .headerOverflow:
            return tooLarge(limits)
        case .unexpectedContentLength, .invalidContentLength, .unknown:
            return .smuggling("\(ParserErrorDescription.describe(error)); the request was not forwarded")
        default:
            return .badRequest("\(ParserErrorDescription.describe(error)); the request was not forwarded")
        }
    }

    /// HTTP/1 heads are held to the limits by the parser; HTTP/2 heads are checked with this.
    static func http2HeadOverLimits(_ head: HTTPRequestHead, limits: LimitsConfig) -> ProblemResponse? {
        var bytes = head.uri.utf8.count
        for (name, value) in head.headers { bytes += name.utf8.count + value.utf8.count }
        guard head.headers.count > limits.maxHeaderCount || bytes > limits.maxHeaderBytes else { return nil }
        return tooLarge(limits)
    }

    private static func tooLarge(_ limits: LimitsConfig) -> ProblemResponse {
        ProblemResponse(status: .requestHeaderFieldsTooLarge, slug: "headers-too-large", detail: "the request head exceeds \(limits.maxHeaderBytes) bytes or \(limits.maxHeaderCount) fields")
    }

    /// Something inside the gateway failed (a phase's I/O): nothing was forwarded.
    static func internalError(_ detail: String) -> ProblemResponse {
        ProblemResponse(status: .internalServerError, slug: "internal-error", detail: "\(detail); the request was not forwarded")
    }
}
