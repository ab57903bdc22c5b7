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
    /// `set` then every default, for the usual response that sent none of the default headers:
    /// one append instead of one `add` per default.
    private let fullBlockTLS: [(String, String)]
    private let fullBlockPlain: [(String, String)]
    /// `set` as plain arrays, for the fast path (which builds the array it hands `HTTPHeaders`).
    private let setFieldsTLS: [(String, String)]
    private let setFieldsPlain: [(String, String)]
    /// Bit i: `lookups` entry i is a dropped name that applies (i < 64).
    private let droppedMaskTLS: UInt64
    private let droppedMaskPlain: UInt64
    /// Bit i: `defaults[i]` applies (i < 64).
    private let defaultsMaskTLS: UInt64
    private let defaultsMaskPlain: UInt64
    /// Bit of the `set-cookie` entry of `lookups` (0 when cookies are not hardened or it is not among the first 64).
    private let setCookieBit: UInt64
    /// At most 64 names, each shorter than 64 bytes: the fast path's 64-bit masks cover them all.
    private let fitsMasks: Bool

    public init(remove: [String] = [], set: [HeaderField] = [], defaults: [HeaderField] = [], cookies: CookieHardening? = nil) {
        self.remove = remove.map { $0.lowercased() }
        self.set = set
        self.defaults = defaults
        let cookies = (cookies?.isActive ?? false) ? cookies : nil
        self.cookies = cookies
        let dropped = self.remove + set.map(\.lowercasedName)
        let droppedTLSOnly = self.remove.map { _ in false } + set.map(\.isTLSOnly)
        self.dropped = dropped
        self.droppedTLSOnly = droppedTLSOnly
        let names = dropped + defaults.map(\.lowercasedName) + (cookies == nil ? [] : ["set-cookie"])
        let lookups = HeaderNameTable(names)
        self.lookups = lookups
        let plainSet = set.filter { !$0.isTLSOnly }
        let plainDefaults = defaults.filter { !$0.isTLSOnly }
        self.setBlockTLS = HTTPHeaders(set.map { ($0.name, $0.value) })
        self.setBlockPlain = HTTPHeaders(plainSet.map { ($0.name, $0.value) })
        self.fullBlockTLS = (set + defaults).map { ($0.name, $0.value) }
        self.fullBlockPlain = (plainSet + plainDefaults).map { ($0.name, $0.value) }
        self.setFieldsTLS = set.map { ($0.name, $0.value) }
        self.setFieldsPlain = plainSet.map { ($0.name, $0.value) }

        self.fitsMasks = names.count <= 64 && !lookups.hasLongNames
        var droppedTLS: UInt64 = 0, droppedPlain: UInt64 = 0
        for index in dropped.indices where index < 64 {
            droppedTLS |= 1 << UInt64(index)
            if !droppedTLSOnly[index] { droppedPlain |= 1 << UInt64(index) }
        }
        self.droppedMaskTLS = droppedTLS
        self.droppedMaskPlain = droppedPlain
        var defaultsTLS: UInt64 = 0, defaultsPlain: UInt64 = 0
        for index in defaults.indices where index < 64 {
            defaultsTLS |= 1 << UInt64(index)
            if !defaults[index].isTLSOnly { defaultsPlain |= 1 << UInt64(index) }
        }
        self.defaultsMaskTLS = defaultsTLS
        self.defaultsMaskPlain = defaultsPlain
        self.setCookieBit = cookies != nil && names.count <= 64 ? 1 << UInt64(names.count - 1) : 0
    }

    public static let none = HeaderActions()

    /// Whether this does nothing to any response.
    public var isEmpty: Bool { remove.isEmpty && set.isEmpty && defaults.isEmpty && cookies == nil }

    /// Applies the actions in order: remove, set (replacing), default (only if absent), cookie
    /// hardening of each `Set-Cookie`. `Strict-Transport-Security` in set or default is applied
    /// to TLS responses only (browsers ignore it over plain HTTP, RFC 6797 §8.1), and over plain
    /// HTTP the application's own value is left alone.
    ///
    /// One pass copies the fields that stay into storage sized for the result (hardening each
    /// `Set-Cookie` on the way) and notes which names the response held; then the set fields, and
    /// the defaults when the application sent none of them, are appended as one prepared block.
    /// Copying costs no more than reading: each field read from `HTTPHeaders` is a copy anyway,
    /// and growing in place for the appended block would reallocate too.
    public func apply(to headers: inout HTTPHeaders, isTLS: Bool) {
        if isEmpty { return }
        guard fitsMasks else {
            applyGeneral(to: &headers, isTLS: isTLS)
            return
        }
        let droppedMask = isTLS ? droppedMaskTLS : droppedMaskPlain
        let defaultsMask = isTLS ? defaultsMaskTLS : defaultsMaskPlain
        let fullBlock = isTLS ? fullBlockTLS : fullBlockPlain

        // Written straight into storage sized for the largest result (every field kept, every
        // default added): one allocation, no per-append capacity checks.
        let droppedCount = dropped.count
        var present: UInt64 = 0
        var general = false
        let start = headers.startIndex, end = headers.endIndex
        let capacity = headers.distance(from: start, to: end) + fullBlock.count
        let fields = [(String, String)](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var index = start
            while index != end {
                let field = headers[index]
                index = headers.index(after: index)
                let matches = lookups.matches(field.name)
                if matches.nameLike & droppedMask != 0 && matches.exact & droppedMask == 0 {
                    // HTTPHeaders.remove(name:) (which the general path uses) compares names by
                    // `byte & 0xDF`, so `~` and `^` count as equal: keep that one behaviour exactly.
                    general = true
                    return
                }
                present |= matches.exact
                if matches.exact & droppedMask != 0 { continue }
                var value = field.value
                if matches.exact & setCookieBit != 0, let cookies, let hardened = cookies.harden(value) {
                    value = hardened
                }
                (buffer.baseAddress! + initialized).initialize(to: (field.name, value))
                initialized += 1
            }

            // Defaults to add: those whose name the application did not send (names never
            // overlap the dropped ones, so presence before removal is presence after).
            var missing: UInt64 = 0
            for index in 0..<defaults.count where defaultsMask & (1 << UInt64(index)) != 0 {
                if present & (1 << UInt64(droppedCount + index)) == 0 { missing |= 1 << UInt64(index) }
            }
            // Field by field: `initialize(from:count:)` would copy through the runtime's generic
            // value witnesses, several times slower than this specialised loop.
            func append(_ block: [(String, String)]) {
                block.withUnsafeBufferPointer { block in
                    for field in block {
                        (buffer.baseAddress! + initialized).initialize(to: field)
                        initialized += 1
                    }
                }
            }
            if missing == defaultsMask {
                append(fullBlock)
            } else {
                append(isTLS ? setFieldsTLS : setFieldsPlain)
                for index in 0..<defaults.count where missing & (1 << UInt64(index)) != 0 {
                    (buffer.baseAddress! + initialized).initialize(to: (defaults[index].name, defaults[index].value))
                    initialized += 1
                }
            }
        }
        if general {
            applyGeneral(to: &headers, isTLS: isTLS)
            return
        }
        headers = HTTPHeaders(fields)
    }

    /// The general case: a policy with more than 64 names or a name of 64 bytes or more.
    /// Same result as the fast path; only the first 64 names are tracked for presence, later ones
    /// count as present (removing an absent name is harmless; defaults recheck).
    private func applyGeneral(to headers: inout HTTPHeaders, isTLS: Bool) {
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
