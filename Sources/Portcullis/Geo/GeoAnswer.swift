import Foundation
import NIOHTTP1

/// The answers of the geo gate: 451 Unavailable For Legal Reasons (RFC 7725) as problem+json,
/// with `Link: <…>; rel="blocked-by"` when the rule names who asked for the block, and 302 to an
/// age-verification page carrying the original URL.
enum GeoAnswer {
    static let slug = "unavailable-for-legal-reasons"

    static func denied(rule: GeoRule, location: GeoLocation?) -> ProblemResponse {
        let detail: String
        if let location {
            detail = "this resource is not available in \(location.subdivision ?? location.country) (rule '\(rule.name)')"
        } else {
            detail = "this resource is restricted by location and the client's location could not be determined (rule '\(rule.name)')"
        }
        var headers: [(String, String)] = []
        if let blockedBy = rule.blockedBy { headers.append(("Link", "<\(blockedBy)>; rel=\"blocked-by\"")) }
        return ProblemResponse(status: .unavailableForLegalReasons, slug: slug, detail: detail, extraHeaders: headers)
    }

    static func redirect(to template: String, originalURL: String) -> PhaseOutcome {
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: location(template: template, originalURL: originalURL))
        headers.add(name: "Cache-Control", value: "no-store")
        return .respondWith(HTTPResponseHead(version: .http1_1, status: .found, headers: headers), nil)
    }

    /// `{url}` in the template becomes the percent-encoded original URL; a template without it
    /// gets the URL as a `return` query parameter.
    static func location(template: String, originalURL: String) -> String {
        let encoded = percentEncoded(originalURL)
        if template.contains("{url}") { return template.replacingOccurrences(of: "{url}", with: encoded) }
        return template + (template.contains("?") ? "&" : "?") + "return=" + encoded
    }

    /// Everything but RFC 3986's unreserved characters is encoded, so the URL is one query value.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
