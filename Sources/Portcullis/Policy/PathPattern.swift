#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a rule's `match` requires of the request path (the target before any `?`), compared
/// byte for byte as the client sent it: case-sensitive, no percent-decoding (the gateway refuses
/// `.`/`..` segments before any rule runs, so a prefix cannot be escaped with them).
public enum PathPattern: Sendable, Hashable, CustomStringConvertible {
    /// `path: /login`: exactly this path.
    case exact(String)
    /// `path_prefix: /api/`: every path starting with these bytes.
    case prefix(String)
    /// `path_glob: /static/**/*.css`: `*` is any run of characters within one segment,
    /// `**` (a whole segment) is any number of segments, zero included.
    case glob(PathGlob)

    @inline(__always)
    public func matches(_ path: Substring) -> Bool {
        switch self {
        case .exact(let exact): return PathPattern.bytes(of: path, equal: exact)
        case .prefix(let prefix): return PathPattern.bytes(of: path, startWith: prefix)
        case .glob(let glob): return glob.matches(path)
        }
    }

    /// Byte equality (String's `==` compares by Unicode canonical equivalence, which paths do not want).
    @inline(__always)
    static func bytes(of path: Substring, equal literal: String) -> Bool {
        guard path.utf8.count == literal.utf8.count else { return false }
        return bytes(of: path, startWith: literal)
    }

    @inline(__always)
    static func bytes(of path: Substring, startWith prefix: String) -> Bool {
        let count = prefix.utf8.count
        guard path.utf8.count >= count else { return false }
        if let result = path.utf8.withContiguousStorageIfAvailable({ left in
            prefix.utf8.withContiguousStorageIfAvailable { right in
                count == 0 || memcmp(left.baseAddress!, right.baseAddress!, count) == 0
            }
        }), let result {
            return result
        }
        return path.utf8.starts(with: prefix.utf8)
    }

    /// Whether every path matched by `self` is also matched by `other`. Conservative: false
    /// when unsure, so an unreachable-rule report is always true.
    func isCovered(by other: PathPattern) -> Bool {
        switch (self, other) {
        case (.exact(let path), _):
            return other.matches(path[...])
        case (.prefix(let mine), .prefix(let theirs)):
            return mine.hasPrefix(theirs)
        case (.prefix(let mine), .glob(let glob)):
            // `/api/**` covers every path under `/api/`.
            guard let base = glob.literalDirectoryBeforeTrailingGlobstar else { return false }
            return mine.hasPrefix(base)
        case (.glob(let glob), .prefix(let theirs)):
            return glob.literalPrefix.hasPrefix(theirs)
        case (.glob(let mine), .glob(let theirs)):
            if mine == theirs { return true }
            guard let base = theirs.literalDirectoryBeforeTrailingGlobstar else { return false }
            return mine.literalPrefix.hasPrefix(base)
        case (.prefix, .exact), (.glob, .exact):
            return false
        }
    }

    /// The key and value as written in a policy file.
    public var description: String {
        switch self {
        case .exact(let path): return "path: \(path)"
        case .prefix(let prefix): return "path_prefix: \(prefix)"
        case .glob(let glob): return "path_glob: \(glob.pattern)"
        }
    }
}
