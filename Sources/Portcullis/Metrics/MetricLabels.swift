import NIOHTTP1

/// The fixed label values the request metrics use besides names from config: a method (the
/// common ones, anything else is `other`) and a status class. Never a raw value from a request,
/// so the number of series is bounded by the config.
enum MetricLabels {
    static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"]
    static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    @inline(__always)
    static func methodIndex(_ method: HTTPMethod) -> Int {
        switch method {
        case .GET: return 0
        case .HEAD: return 1
        case .POST: return 2
        case .PUT: return 3
        case .DELETE: return 4
        case .PATCH: return 5
        case .OPTIONS: return 6
        default: return 7
        }
    }

    @inline(__always)
    static func statusClassIndex(_ code: Int) -> Int {
        min(4, max(0, code / 100 - 1))
    }
}
