import Yams

/// A YAML node with its file position, read with typed accessors that report a precise diagnostic
/// (`file:line:column: what is wrong; what is expected`) and return nil instead of throwing,
/// so that one load reports every problem at once.
public struct YAMLValue {
    public let node: Node
    public let file: String
    public let collector: DiagnosticCollector
    /// Dotted path of this value in the document (`upstreams.demo.endpoints`), used in messages.
    public let path: String

    public init(node: Node, file: String, collector: DiagnosticCollector, path: String) {
        self.node = node
        self.file = file
        self.collector = collector
        self.path = path
    }

    public var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public func report(_ message: String) {
        collector.report(location, message)
    }

    /// How messages name this value: its dotted path, or "the top level" for the document itself.
    private var subject: String { path.isEmpty ? "the top level" : path }

    private func describeKind() -> String {
        switch node {
        case .scalar(let scalar): return scalar.string.isEmpty ? "an empty value" : "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Reads a mapping whose keys must all be in `allowed`; unknown keys are reported with a
    /// "did you mean" suggestion, and `required` keys that are missing are reported at the mapping.
    public func mapping(allowed: [String], required: [String] = []) -> [String: YAMLValue]? {
        guard case .mapping(let mapping) = node else {
            report("\(subject) must be a mapping with keys \(allowed.joined(separator: ", ")); found \(describeKind())")
            return nil
        }
        var result: [String: YAMLValue] = [:]
        for (keyNode, valueNode) in mapping {
            let key = keyNode.scalar?.string ?? ""
            let child = YAMLValue(node: valueNode, file: file, collector: collector, path: path.isEmpty ? key : "\(path).\(key)")
            guard allowed.contains(key) else {
                let keyValue = YAMLValue(node: keyNode, file: file, collector: collector, path: path)
                var message = "unknown key '\(key)' in \(path.isEmpty ? "the top level" : path)"
                if let suggestion = Spelling.closest(to: key, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; expected one of \(allowed.joined(separator: ", "))"
                }
                keyValue.report(message)
                continue
            }
            if result[key] != nil {
                YAMLValue(node: keyNode, file: file, collector: collector, path: path).report("duplicate key '\(key)' in \(path.isEmpty ? "the top level" : path)")
                continue
            }
            result[key] = child
        }
        for key in required where result[key] == nil {
            report("\(path.isEmpty ? "the top level" : path) is missing required key '\(key)'")
        }
        return result
    }

    /// Reads a mapping with free-form keys (names chosen by the operator), in file order.
    public func namedEntries() -> [(name: String, value: YAMLValue)]? {
        guard case .mapping(let mapping) = node else {
            report("\(subject) must be a mapping of names to entries; found \(describeKind())")
            return nil
        }
        return mapping.map { pair in
            let name = pair.key.scalar?.string ?? ""
            return (name, YAMLValue(node: pair.value, file: file, collector: collector, path: "\(path).\(name)"))
        }
    }

    /// The names of a free-form mapping without reporting anything (for cross-references).
    public func namedEntriesQuietly() -> [String] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.map { $0.key.scalar?.string ?? "" }
    }

    public func sequence() -> [YAMLValue]? {
        guard case .sequence(let sequence) = node else {
            report("\(subject) must be a list; found \(describeKind())")
            return nil
        }
        return sequence.enumerated().map { index, element in
            YAMLValue(node: element, file: file, collector: collector, path: "\(path)[\(index)]")
        }
    }

    /// A scalar string with `${NAME}` and `${file:PATH}` references resolved.
    public func string() -> String? {
        guard case .scalar(let scalar) = node else {
            report("\(path) must be a string; found \(describeKind())")
            return nil
        }
        return substitute(scalar.string)
    }

    /// A string or a list of strings (a single value is a list of one).
    public func stringList() -> [String]? {
        if case .scalar = node { return string().map { [$0] } }
        guard let items = sequence() else { return nil }
        var result: [String] = []
        var ok = true
        for item in items {
            if let value = item.string() { result.append(value) } else { ok = false }
        }
        return ok ? result : nil
    }

    /// A scalar's text for a typed value; a list or mapping is reported as not being `expected`.
    private func scalarText(expected: String) -> String? {
        guard case .scalar = node else {
            report("\(subject) must be \(expected); found \(describeKind())")
            return nil
        }
        return string()
    }

    public func bool() -> Bool? {
        guard let text = scalarText(expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report("\(path) must be true or false; found '\(text)'")
            return nil
        }
    }

    public func int(in range: ClosedRange<Int>) -> Int? {
        guard let text = scalarText(expected: "a whole number from \(range.lowerBound) to \(range.upperBound)") else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report("\(path) must be a whole number from \(range.lowerBound) to \(range.upperBound); found '\(text)'")
            return nil
        }
        return value
    }

    /// A duration such as `250ms`, `2s`, `5m`, `1h`, `1d`, returned in nanoseconds.
    public func durationNanoseconds(atLeast minimum: Int64 = 1_000_000) -> Int64? {
        guard let text = scalarText(expected: "a duration like 250ms, 10s, 5m or 1h") else { return nil }
        guard let nanos = Units.parseDuration(text), nanos >= minimum else {
            report("\(path) must be a duration like 250ms, 10s, 5m or 1h (at least \(Units.formatDuration(minimum))); found '\(text)'")
            return nil
        }
        return nanos
    }

    /// A size such as `512`, `16KiB`, `64MiB`, `1GB`, returned in bytes.
    public func byteSize(atLeast minimum: Int = 1) -> Int? {
        guard let text = scalarText(expected: "a size like 512, 16KiB, 64MiB or 1GiB") else { return nil }
        guard let bytes = Units.parseByteSize(text), bytes >= minimum else {
            report("\(path) must be a size like 512, 16KiB, 64MiB or 1GiB (at least \(minimum) bytes); found '\(text)'")
            return nil
        }
        return bytes
    }

    private func substitute(_ text: String) -> String? {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        var ok = true
        while let start = rest.range(of: "${") {
            output += rest[rest.startIndex..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                report("\(path) has an unterminated '${' reference; expected ${NAME} or ${file:PATH}")
                return nil
            }
            let reference = String(rest[start.upperBound..<end])
            if reference.hasPrefix("file:") {
                let filePath = String(reference.dropFirst(5))
                if let contents = collector.readFile(filePath) {
                    output += contents
                } else {
                    report("\(path) names the file '\(filePath)', which cannot be read")
                    ok = false
                }
            } else if let value = collector.environment[reference] {
                output += value
            } else {
                report("\(path) names the environment variable '\(reference)', which is not set")
                ok = false
            }
            rest = rest[rest.index(after: end)...]
        }
        output += rest
        return ok ? output : nil
    }
}
