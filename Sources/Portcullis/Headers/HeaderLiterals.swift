/// Header names and values that policies commonly write, as string literals.
///
/// A literal's storage is immortal: copying it into a response costs no reference counting,
/// whereas a String read from a policy file longer than 15 bytes is a heap object retained for
/// every response it is added to and released when the response is written. `HeaderField`
/// swaps a policy's text for the identical literal when there is one, so the prepared blocks a
/// policy appends cost (nearly) no atomic operations. The bytes sent are the same either way.
enum HeaderLiterals {
    /// Only strings longer than 15 UTF-8 bytes matter (shorter ones are stored inline).
    static let all: [String] = [
        // Names (OWASP Secure Headers Project, CORS, reporting).
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Permissions-Policy",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
        "Cross-Origin-Embedder-Policy",
        "X-Permitted-Cross-Domain-Policies",
        "Content-Security-Policy",
        "Content-Security-Policy-Report-Only",
        "X-DNS-Prefetch-Control",
        "Reporting-Endpoints",
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Expose-Headers",
        "Access-Control-Max-Age",
        // Values (OWASP recommendations and the usual alternatives).
        "max-age=63072000; includeSubDomains",
        "max-age=63072000; includeSubDomains; preload",
        "max-age=31536000; includeSubDomains",
        "max-age=31536000; includeSubDomains; preload",
        "strict-origin-when-cross-origin",
        "no-referrer-when-downgrade",
        "same-origin-allow-popups",
        "no-store, max-age=0",
        "private, no-store",
        "no-cache, no-store, must-revalidate",
    ]

    /// The literal with exactly the bytes of `text`, or `text` itself.
    static func intern(_ text: String) -> String {
        guard text.utf8.count > 15 else { return text }
        return all.first { $0.utf8.elementsEqual(text.utf8) } ?? text
    }
}
