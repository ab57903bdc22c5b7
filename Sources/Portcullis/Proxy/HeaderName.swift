/// The header names the request path acts on, recognised in one pass without allocating:
/// a length switch, then an ASCII case-insensitive compare.
enum HeaderName: UInt8 {
    case other
    case host, contentLength, transferEncoding, connection, keepAlive, proxyConnection, te, trailer, upgrade
    case proxyAuthorization, proxyAuthenticate, expect
    case xForwardedFor, xForwardedProto, xForwardedHost, xRealIP, forwarded, xRequestId, xGeo
    /// W3C Trace Context (checked, and started when absent or invalid).
    case traceParent, traceState

    /// Hop-by-hop: describes one connection, never forwarded (RFC 9110 §7.6.1).
    var isHopByHop: Bool {
        switch self {
        case .connection, .keepAlive, .proxyConnection, .te, .trailer, .transferEncoding, .upgrade, .proxyAuthorization, .proxyAuthenticate:
            return true
        default:
            return false
        }
    }

    /// Set by the gateway; a client's copy is believed only from a trusted proxy.
    var isGatewayOwned: Bool {
        switch self {
        case .xForwardedFor, .xForwardedProto, .xForwardedHost, .xRealIP, .forwarded, .xRequestId, .xGeo: return true
        default: return false
        }
    }

    static func classify(_ name: String) -> HeaderName {
        var name = name
        return name.withUTF8 { bytes in
            if bytes.count > 6, matchesPrefix(bytes, "x-geo-") { return .xGeo }
            switch bytes.count {
            case 2: return matches(bytes, "te") ? .te : .other
            case 4: return matches(bytes, "host") ? .host : .other
            case 6:
                if matches(bytes, "expect") { return .expect }
                return .other
            case 7:
                if matches(bytes, "upgrade") { return .upgrade }
                if matches(bytes, "trailer") { return .trailer }
                return .other
            case 9:
                if matches(bytes, "forwarded") { return .forwarded }
                if matches(bytes, "x-real-ip") { return .xRealIP }
                return .other
            case 10:
                if matches(bytes, "connection") { return .connection }
                if matches(bytes, "keep-alive") { return .keepAlive }
                if matches(bytes, "tracestate") { return .traceState }
                return .other
            case 11: return matches(bytes, "traceparent") ? .traceParent : .other
            case 12: return matches(bytes, "x-request-id") ? .xRequestId : .other
            case 14: return matches(bytes, "content-length") ? .contentLength : .other
            case 15: return matches(bytes, "x-forwarded-for") ? .xForwardedFor : .other
            case 16:
                if matches(bytes, "proxy-connection") { return .proxyConnection }
                if matches(bytes, "x-forwarded-host") { return .xForwardedHost }
                return .other
            case 17:
                if matches(bytes, "transfer-encoding") { return .transferEncoding }
                if matches(bytes, "x-forwarded-proto") { return .xForwardedProto }
                return .other
            case 18: return matches(bytes, "proxy-authenticate") ? .proxyAuthenticate : .other
            case 19: return matches(bytes, "proxy-authorization") ? .proxyAuthorization : .other
            default:
                return .other
            }
        }
    }

    /// ASCII case-insensitive equality with a lowercase literal.
    @inline(__always)
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return matchesPrefix(bytes, literal)
    }

    @inline(__always)
    private static func matchesPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let expected = literal.utf8Start
        for index in 0..<count {
            var byte = bytes[index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != expected[index] { return false }
        }
        return true
    }
}
