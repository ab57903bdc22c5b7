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

    /// Lowercased names whose application values are dropped: `remove`, then `set`.
    private let dropped: [String]
    private let droppedTLSOnly: [Bool]
    /// `dropped`, then the default names, then `set-cookie` when cookies are hardened.
    private let lookups: HeaderNameTable
    /// `set` as ready-made blocks, appended in one go (no per-field checks at request time).
    private let setBlockTLS: HTTPHeaders
    private let setBlockPlain: HTTPHeaders

    public init(remove: [String] = [], set: [HeaderField] = [], defaults: [HeaderField] = [], cookies: CookieHardening? = nil) {
        self.remove = remove.map { $0.lowercased() }
        self.set = set
        self.defaults = defaults
        let cookies = (cookies?.isActive ?? false) ? cookies : nil
        self.cookies = cookies
        self.dropped = self.remove + set.map(\.lowercasedName)
        self.droppedTLSOnly = self.remove.map { _ in false } + set.map(\.isTLSOnly)
        self.lookups = HeaderNameTable(dropped + defaults.map(\.lowercasedName) + (cookies == nil ? [] : ["set-cookie"]))
        self.setBlockTLS = HTTPHeaders(set.map { ($0.name, $0.value) })
        self.setBlockPlain = HTTPHeaders(set.filter { !$0.isTLSOnly }.map { ($0.name, $0.value) })
    }

    public static let none = HeaderActions()

    /// Whether this does nothing to any response.
    public var isEmpty: Bool { remove.isEmpty && set.isEmpty && defaults.isEmpty && cookies == nil }

    /// Applies the actions in order: remove, set (replacing), default (only if absent), cookie
    /// hardening of each `Set-Cookie`. `Strict-Transport-Security` in set or default is applied
    /// to TLS responses only (browsers ignore it over plain HTTP, RFC 6797 §8.1), and over plain
    /// HTTP the application's own value is left alone.
    ///
    /// In place: one pass finds which names the response holds, removals touch only those, and
    /// the set fields are appended as one prepared block.
    public func apply(to headers: inout HTTPHeaders, isTLS: Bool) {
        if isEmpty { return }
        // One pass over the fields finds which names are present. Only 64 names are tracked:
        // later ones count as present (removing an absent name is harmless; defaults recheck).
        let present = lookups.presence(in: headers)
        @inline(__always) func has(_ index: Int) -> Bool { index >= 64 || present & (1 << UInt64(index)) != 0 }

        let droppedCount = dropped.count
        for index in 0..<droppedCount where has(index) && (isTLS || !droppedTLSOnly[index]) {
            headers.remove(name: dropped[index])
        }
        if let cookies, has(droppedCount + defaults.count) {
            Self.harden(&headers, with: cookies)
        }
        if defaults.isEmpty {
            headers.add(contentsOf: isTLS ? setBlockTLS : setBlockPlain)
            return
        }
        // Which defaults to add, decided before the set fields are appended (names never overlap).
        var missing: UInt64 = 0
        var missingLate = false
        for index in 0..<defaults.count where isTLS || !defaults[index].isTLSOnly {
            if droppedCount + index < 64 {
                if !has(droppedCount + index) { missing |= 1 << UInt64(index) }
            } else {
                missingLate = true
            }
        }
        headers.reserveCapacity(headers.count + set.count + defaults.count)
        headers.add(contentsOf: isTLS ? setBlockTLS : setBlockPlain)
        guard missing != 0 || missingLate else { return }
        for index in 0..<defaults.count where isTLS || !defaults[index].isTLSOnly {
            let add = droppedCount + index < 64 ? missing & (1 << UInt64(index)) != 0 : !headers.contains(name: defaults[index].lowercasedName)
            if add { headers.add(name: defaults[index].name, value: defaults[index].value) }
        }
    }

    /// Rewrites the `Set-Cookie` fields that lack an attribute, keeping every field in place.
    private static func harden(_ headers: inout HTTPHeaders, with cookies: CookieHardening) {
        var rewritten: [(String, String)]?
        for (offset, header) in headers.enumerated() {
            guard ASCIICaseInsensitive.equals(header.name, lowercased: "set-cookie"), let hardened = cookies.harden(header.value) else { continue }
            if rewritten == nil { rewritten = headers.map { ($0.name, $0.value) } }
            rewritten![offset].1 = hardened
        }
        if let rewritten { headers = HTTPHeaders(rewritten) }
    }
}
