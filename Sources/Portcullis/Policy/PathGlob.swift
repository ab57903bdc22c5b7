/// A compiled `path_glob`. The pattern is split on `/` into segments; a segment `**` matches any
/// number of path segments (zero included), any other segment matches one path segment, where
/// `*` is any run of characters (possibly empty). So `/static/**/*.css` matches `/static/a.css`
/// and `/static/x/y/a.css`, `/api/*/items` matches `/api/42/items` but not `/api/4/2/items`, and
/// `/api/**` matches `/api`, `/api/` and everything below.
public struct PathGlob: Sendable, Hashable {
    public let pattern: String
    private let segments: [Segment]
    /// Every matching path starts with these bytes: a cheap first test.
    private let requiredPrefix: String

    private enum Segment: Sendable, Hashable {
        case globstar
        case literal([UInt8])
        /// The literal pieces between the `*`s; `first`/`last` anchor the ends.
        case wildcard([[UInt8]])
    }

    /// Why a pattern cannot be compiled, as a sentence fragment; nil when it is valid.
    static func problem(in pattern: String) -> String? {
        guard pattern.hasPrefix("/") else { return "must start with '/'" }
        for segment in pattern.split(separator: "/", omittingEmptySubsequences: false) where segment.contains("**") && segment != "**" {
            return "uses '**' inside the segment '\(segment)'; '**' must be a whole segment, like /static/**/*.css"
        }
        return nil
    }

    /// Compiles a pattern that `problem(in:)` accepted.
    init(_ pattern: String) {
        self.pattern = pattern
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map { text in
            if text == "**" { return .globstar }
            if !text.contains("*") { return .literal(Array(text.utf8)) }
            return .wildcard(text.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) })
        }
        self.requiredPrefix = PathGlob.literalPrefix(of: pattern)
    }

    /// A prefix every matching path starts with: the pattern up to its first `*`, less the `/`
    /// before a `**` segment (`/api/**` matches `/api` itself).
    var literalPrefix: String { PathGlob.literalPrefix(of: pattern) }

    private static func literalPrefix(of pattern: String) -> String {
        guard let star = pattern.firstIndex(of: "*") else { return pattern }
        var prefix = pattern[..<star]
        if pattern[star...].hasPrefix("**"), prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        return String(prefix)
    }

    /// For `/a/b/**` (no other wildcard), `/a/b/`: every path below it matches.
    var literalDirectoryBeforeTrailingGlobstar: String? {
        guard pattern.hasSuffix("/**") else { return nil }
        let base = pattern.dropLast(2)
        return base.contains("*") ? nil : String(base)
    }

    public func matches(_ path: Substring) -> Bool {
        guard PathPattern.bytes(of: path, startWith: requiredPrefix) else { return false }
        var path = path
        return path.withUTF8 { bytes in
            // The segments as byte ranges, in a stack buffer: no allocation per request.
            var count = 1
            for byte in bytes where byte == UInt8(ascii: "/") { count += 1 }
            return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: count) { ranges in
                var start = 0, next = 0
                for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "/") {
                    ranges.initializeElement(at: next, to: start..<index)
                    next += 1
                    start = index + 1
                }
                ranges.initializeElement(at: next, to: start..<bytes.count)
                return matchSegments(bytes, UnsafeBufferPointer(ranges))
            }
        }
    }

    /// Classic wildcard matching over segments, where `**` is the only multi-segment wildcard:
    /// on a mismatch, backtrack to the last `**` and let it swallow one more segment.
    private func matchSegments(_ bytes: UnsafeBufferPointer<UInt8>, _ ranges: UnsafeBufferPointer<Range<Int>>) -> Bool {
        var p = 0, s = 0
        var starP = -1, starS = 0
        while s < ranges.count {
            if p < segments.count, case .globstar = segments[p] {
                starP = p
                starS = s
                p += 1
            } else if p < segments.count, segmentMatches(segments[p], bytes, ranges[s]) {
                p += 1
                s += 1
            } else if starP >= 0 {
                p = starP + 1
                starS += 1
                s = starS
            } else {
                return false
            }
        }
        while p < segments.count, case .globstar = segments[p] { p += 1 }
        return p == segments.count
    }

    private func segmentMatches(_ segment: Segment, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        switch segment {
        case .globstar:
            return true
        case .literal(let literal):
            guard literal.count == range.count else { return false }
            var index = range.lowerBound
            for byte in literal {
                if bytes[index] != byte { return false }
                index += 1
            }
            return true
        case .wildcard(let pieces):
            // pieces.count >= 2: the first must start the segment, the last must end it, the
            // middle ones appear in order (greedy leftmost placement is optimal).
            let first = pieces[0], last = pieces[pieces.count - 1]
            guard range.count >= first.count + last.count else { return false }
            guard Self.occurs(first, in: bytes, at: range.lowerBound),
                Self.occurs(last, in: bytes, at: range.upperBound - last.count)
            else { return false }
            var position = range.lowerBound + first.count
            let end = range.upperBound - last.count
            for piece in pieces[1..<(pieces.count - 1)] where !piece.isEmpty {
                guard let found = Self.find(piece, in: bytes, from: position, to: end) else { return false }
                position = found + piece.count
            }
            return true
        }
    }

    private static func occurs(_ piece: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        for (index, byte) in piece.enumerated() where bytes[offset + index] != byte { return false }
        return true
    }

    private static func find(_ piece: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard end - start >= piece.count else { return nil }
        for offset in start...(end - piece.count) where occurs(piece, in: bytes, at: offset) { return offset }
        return nil
    }
}
