/// Writes the Prometheus text exposition format (version 0.0.4): each family's `# HELP` and
/// `# TYPE` once, then its samples, label values escaped.
struct PrometheusTextWriter {
    private(set) var text = ""

    init() {
        text.reserveCapacity(64 * 1024)
    }

    mutating func family(_ name: String, type: String, help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += label
                text += "=\""
                text += Self.escape(labelValue)
                text += "\""
            }
            text += "}"
        }
        text += " "
        text += value
        text += "\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Int) {
        sample(name, labels, String(value))
    }

    /// A histogram's buckets (cumulative), sum (in seconds) and count for one label set.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ set: HistogramSet, series: Int) {
        var cumulative = 0
        for index in 0..<LatencyBuckets.count {
            cumulative += set.bucket(series: series, index: index)
            let bound = index < LatencyBuckets.labels.count ? LatencyBuckets.labels[index] : "+Inf"
            sample(name + "_bucket", labels + [("le", bound)], cumulative)
        }
        sample(name + "_sum", labels, Self.seconds(set.sum(series: series)))
        sample(name + "_count", labels, cumulative)
    }

    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(whole)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    /// Backslash, double quote and line feed are the characters the format escapes in label values.
    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
