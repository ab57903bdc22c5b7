import NIOHTTP1

/// Plain-language reasons for the errors NIO's HTTP/1 parser reports, for problem+json `detail`.
enum ParserErrorDescription {
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidHeaderToken, .invalidCharactersUsed:
            return "a header line is malformed (a forbidden character, a missing colon, whitespace before the colon, or obsolete line folding)"
        case .invalidContentLength:
            return "Content-Length is not a single decimal number"
        case .unexpectedContentLength:
            return "Content-Length appears more than once, or together with Transfer-Encoding"
        case .invalidChunkSize:
            return "a chunk size in the body is not valid hexadecimal"
        case .invalidVersion, .invalidConstant:
            return "the request line is not 'METHOD target HTTP/1.x' (HTTP/0.9 and bare LF line ends are refused)"
        case .lfExpected:
            return "a line does not end with CRLF"
        case .invalidMethod:
            return "the request method is not valid"
        case .invalidURL, .invalidHost, .invalidPort, .invalidPath, .invalidQueryString, .invalidFragment:
            return "the request target is not a valid URI"
        default:
            return "the request is malformed or its framing is ambiguous (for example both Content-Length and Transfer-Encoding, or Transfer-Encoding twice)"
        }
    }
}
