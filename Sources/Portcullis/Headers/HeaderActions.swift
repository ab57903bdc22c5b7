import NIOHTTP1

/// What one route does to a response's headers, compiled: the global block merged into the
/// rule's (unless `inherit: false`), names pre-lowercased. Immutable and shared by every request.
public final class HeaderActions: Sendable {
    /// Removed from the application's response.
    public let remove: [String]
    /// Always present with this value: any value the application sent is replaced.
    public let set: [HeaderField]
    /// Added only when the application sent no such header.
    public let defaults: [HeaderField]
    /// Attributes added to every `Set-Cookie`; nil: cookies pass untouched.
    public let cookies: CookieHardening?

    /// Lowercased names whose application values are dropped: `remove` then `set`.
    private let dropped: [String]
    private let droppedTLSOnly: [Bool]

    public init(remove: [String] = [], set: [HeaderField] = [], defaults: [HeaderField] = [], cookies: CookieHardening? = nil) {
        self.remove = remove.map { $0.lowercased() }
        self.set = set
        self.defaults = defaults
        self.cookies = (cookies?.isActive ?? false) ? cookies : nil
        self.dropped = self.remove + set.map(\.lowercasedName)
        self.droppedTLSOnly = self.remove.map { _ in false } + set.map(\.isTLSOnly)
    }

    public static let none = HeaderActions()

    /// Whether this does nothing to any response.
    public var isEmpty: Bool { remove.isEmpty && set.isEmpty && defaults.isEmpty && cookies == nil }

    /// Applies the actions in order: remove, set (replacing), default (only if absent), cookie
    /// hardening of each `Set-Cookie`. `Strict-Transport-Security` in set or default is applied
    /// to TLS responses only (browsers ignore it over plain HTTP, RFC 6797 §8.1).
    /// One pass over the application's headers and one new header array.
    public func apply(to headers: inout HTTPHeaders, isTLS: Bool) {
        if isEmpty { return }
        var result: [(String, String)] = []
        result.reserveCapacity(headers.count + set.count + defaults.count)
        for (name, value) in headers {
            if isDropped(name, isTLS: isTLS) { continue }
            if let cookies, ASCIICaseInsensitive.equals(name, lowercased: "set-cookie"), let hardened = cookies.harden(value) {
                result.append((name, hardened))
            } else {
                result.append((name, value))
            }
        }
        let applicationCount = result.count
        for field in set where isTLS || !field.isTLSOnly {
            result.append((field.name, field.value))
        }
        if !defaults.isEmpty {
            for field in defaults where isTLS || !field.isTLSOnly {
                var present = false
                for index in 0..<applicationCount where ASCIICaseInsensitive.equals(result[index].0, lowercased: field.lowercasedName) {
                    present = true
                    break
                }
                if !present { result.append((field.name, field.value)) }
            }
        }
        headers = HTTPHeaders(result)
    }

    @inline(__always)
    private func isDropped(_ name: String, isTLS: Bool) -> Bool {
        for index in 0..<dropped.count where ASCIICaseInsensitive.equals(name, lowercased: dropped[index]) {
            if droppedTLSOnly[index] && !isTLS { continue }
            return true
        }
        return false
    }
}
