import Yams

extension YAMLValue {
    /// A string or a list of strings, each with its own value so a problem can be reported at
    /// the item itself (a single string is a list of one). nil when some item is not a string.
    func stringItems() -> [(text: String, value: YAMLValue)]? {
        if case .scalar = node { return string().map { [($0, self)] } }
        guard let items = sequence() else { return nil }
        var result: [(text: String, value: YAMLValue)] = []
        var ok = true
        for item in items {
            if let text = item.string() { result.append((text, item)) } else { ok = false }
        }
        return ok ? result : nil
    }

    /// A mapping with free-form keys (header names, cookie names), each key with the value of
    /// its key node (for positions) and its value, in file order.
    func keyedEntries(expecting what: String) -> [(key: String, keyValue: YAMLValue, value: YAMLValue)]? {
        guard case .mapping(let mapping) = node else {
            report("\(path) must be a mapping of \(what); found \(kindDescription)")
            return nil
        }
        return mapping.map { pair in
            let key = pair.key.scalar?.string ?? ""
            return (
                key,
                YAMLValue(node: pair.key, file: file, collector: collector, path: path),
                YAMLValue(node: pair.value, file: file, collector: collector, path: "\(path).\(key)")
            )
        }
    }

    /// How a message names the kind of this node, as YAMLValue's own messages do.
    var kindDescription: String {
        switch node {
        case .scalar(let scalar): return scalar.string.isEmpty ? "an empty value" : "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Whether this is a scalar (for keys that take either a scalar or a mapping).
    var isScalar: Bool {
        if case .scalar = node { return true }
        return false
    }
}
