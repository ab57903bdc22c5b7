/// The type a `# TYPE` line gives a metric family (`untyped` when there is none).
public enum MetricType: String, Sendable, Equatable {
    case counter, gauge, histogram, summary, untyped
}

/// One sample line: `name{label="value",…} value [timestamp]`.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
    /// Milliseconds since the epoch, when the line carries one.
    public var timestamp: Int64?

    public init(name: String, labels: [String: String] = [:], value: Double, timestamp: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    public subscript(label: String) -> String? { labels[label] }
}

/// A metric family: its `# HELP`, `# TYPE` and the samples that belong to it (a histogram's
/// `_bucket`, `_sum` and `_count` lines, a summary's quantiles, `_sum` and `_count`).
public struct MetricFamily: Sendable {
    public var name: String
    public var type: MetricType
    public var help: String?
    public var samples: [MetricSample]
}

/// A parsed `/metrics` page.
public struct MetricsPage: Sendable {
    /// The families in the order the page names them.
    public private(set) var families: [MetricFamily] = []
    private var index: [String: Int] = [:]

    public init() {}

    public func family(_ name: String) -> MetricFamily? {
        index[name].map { families[$0] }
    }

    /// Every sample with exactly this name (`…_bucket` for a histogram's buckets).
    public func samples(_ name: String) -> [MetricSample] {
        guard let position = familyIndex(forSample: name) else { return [] }
        return families[position].samples.filter { $0.name == name }
    }

    /// The value of the sample with this name whose labels include all of `labels`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples(name).first { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    /// Adds a sample to the family it belongs to, creating an untyped family when none does.
    mutating func append(_ sample: MetricSample) {
        if let position = familyIndex(forSample: sample.name) {
            families[position].samples.append(sample)
        } else {
            index[sample.name] = families.count
            families.append(MetricFamily(name: sample.name, type: .untyped, help: nil, samples: [sample]))
        }
    }

    mutating func declare(_ name: String, type: MetricType? = nil, help: String? = nil) {
        let position: Int
        if let existing = index[name] {
            position = existing
        } else {
            position = families.count
            index[name] = position
            families.append(MetricFamily(name: name, type: .untyped, help: nil, samples: []))
        }
        if let type { families[position].type = type }
        if let help { families[position].help = help }
    }

    private func familyIndex(forSample name: String) -> Int? {
        if let exact = index[name] { return exact }
        for suffix in ["_bucket", "_sum", "_count", "_created"] where name.hasSuffix(suffix) {
            if let position = index[String(name.dropLast(suffix.count))] {
                let type = families[position].type
                if type == .histogram || (type == .summary && suffix != "_bucket") { return position }
            }
        }
        return nil
    }
}

/// What is wrong with a page, and on which line (1-based).
public struct PrometheusParseError: Error, CustomStringConvertible, Equatable {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Parses the Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines,
/// other comments (ignored), and samples with escaped label values, `+Inf`/`-Inf`/`NaN` values and
/// optional timestamps.
public enum PrometheusTextParser {
    public static func parse(_ text: String) throws -> MetricsPage {
        var page = MetricsPage()
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Array(rawLine)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            var cursor = Cursor(bytes: line, line: lineNumber)
            cursor.skipBlanks()
            if cursor.atEnd { continue }
            if cursor.peek == UInt8(ascii: "#") {
                try parseComment(&cursor, into: &page)
            } else {
                page.append(try parseSample(&cursor))
            }
        }
        return page
    }

    private static func parseComment(_ cursor: inout Cursor, into page: inout MetricsPage) throws {
        cursor.advance()  // '#'
        cursor.skipBlanks()
        let keyword = cursor.word()
        guard keyword == "HELP" || keyword == "TYPE" else { return }  // any other comment
        cursor.skipBlanks()
        let name = cursor.metricName()
        guard !name.isEmpty else { throw cursor.error("\(keyword) without a metric name") }
        if keyword == "TYPE" {
            cursor.skipBlanks()
            let typeName = cursor.word()
            guard let type = MetricType(rawValue: typeName) else { throw cursor.error("unknown metric type '\(typeName)'") }
            cursor.skipBlanks()
            guard cursor.atEnd else { throw cursor.error("text after the type of \(name)") }
            page.declare(name, type: type)
        } else {
            if !cursor.atEnd, cursor.peek == UInt8(ascii: " ") || cursor.peek == UInt8(ascii: "\t") { cursor.advance() }
            page.declare(name, help: cursor.restUnescapingHelp())
        }
    }

    private static func parseSample(_ cursor: inout Cursor) throws -> MetricSample {
        let name = cursor.metricName()
        guard !name.isEmpty else { throw cursor.error("expected a metric name") }
        var labels: [String: String] = [:]
        cursor.skipBlanks()
        if !cursor.atEnd, cursor.peek == UInt8(ascii: "{") {
            cursor.advance()
            while true {
                cursor.skipBlanks()
                guard !cursor.atEnd else { throw cursor.error("unterminated label set") }
                if cursor.peek == UInt8(ascii: "}") { cursor.advance(); break }
                let label = cursor.labelName()
                guard !label.isEmpty else { throw cursor.error("expected a label name") }
                cursor.skipBlanks()
                guard cursor.consume(UInt8(ascii: "=")) else { throw cursor.error("expected '=' after label \(label)") }
                cursor.skipBlanks()
                guard cursor.consume(UInt8(ascii: "\"")) else { throw cursor.error("expected '\"' to open the value of label \(label)") }
                let value = try cursor.labelValue()
                guard labels.updateValue(value, forKey: label) == nil else { throw cursor.error("label \(label) given twice") }
                cursor.skipBlanks()
                if cursor.consume(UInt8(ascii: ",")) { continue }
                guard cursor.consume(UInt8(ascii: "}")) else { throw cursor.error("expected ',' or '}' after the value of label \(label)") }
                break
            }
        }
        cursor.skipBlanks()
        let valueText = cursor.word()
        guard let value = parseValue(valueText) else { throw cursor.error("'\(valueText)' is not a sample value") }
        cursor.skipBlanks()
        var timestamp: Int64?
        if !cursor.atEnd {
            let stampText = cursor.word()
            guard let stamp = Int64(stampText) else { throw cursor.error("'\(stampText)' is not a timestamp") }
            timestamp = stamp
            cursor.skipBlanks()
            guard cursor.atEnd else { throw cursor.error("text after the timestamp") }
        }
        return MetricSample(name: name, labels: labels, value: value, timestamp: timestamp)
    }

    /// A Go `ParseFloat` value: decimal or exponent notation, `+Inf`, `-Inf`, `Inf`, `NaN`.
    static func parseValue(_ text: String) -> Double? {
        switch text.lowercased() {
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        case "": return nil
        default:
            // Swift's Double(String) also accepts hexadecimal floats and "infinity"; the format does not.
            guard text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D || $0 == 0x65 || $0 == 0x45 }) else { return nil }
            return Double(text)
        }
    }

    private struct Cursor {
        let bytes: [UInt8]
        let line: Int
        var position = 0

        init(bytes: [UInt8], line: Int) {
            self.bytes = bytes
            self.line = line
        }

        var atEnd: Bool { position >= bytes.count }
        var peek: UInt8 { bytes[position] }
        mutating func advance() { position += 1 }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard !atEnd, peek == byte else { return false }
            position += 1
            return true
        }

        mutating func skipBlanks() {
            while !atEnd, peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t") { position += 1 }
        }

        /// Up to the next blank (or the end).
        mutating func word() -> String {
            let start = position
            while !atEnd, peek != UInt8(ascii: " "), peek != UInt8(ascii: "\t") { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
        mutating func metricName() -> String { name(allowingColon: true) }
        /// `[a-zA-Z_][a-zA-Z0-9_]*`
        mutating func labelName() -> String { name(allowingColon: false) }

        private mutating func name(allowingColon: Bool) -> String {
            let start = position
            while !atEnd {
                let byte = peek
                let isLetter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_") || (allowingColon && byte == UInt8(ascii: ":"))
                let isDigit = byte >= 0x30 && byte <= 0x39
                guard isLetter || (isDigit && position > start) else { break }
                position += 1
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// After the opening quote: up to the closing one, with `\\`, `\"` and `\n` unescaped.
        mutating func labelValue() throws -> String {
            var value: [UInt8] = []
            while !atEnd {
                let byte = peek
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard !atEnd else { throw error("a label value ends in a lone backslash") }
                    let escaped = peek
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(escaped)
                    default: value.append(contentsOf: [UInt8(ascii: "\\"), escaped])
                    }
                default:
                    value.append(byte)
                }
            }
            throw error("unterminated label value")
        }

        /// The rest of a HELP line with `\\` and `\n` unescaped.
        mutating func restUnescapingHelp() -> String {
            var text: [UInt8] = []
            while !atEnd {
                let byte = peek
                position += 1
                if byte == UInt8(ascii: "\\"), !atEnd, peek == UInt8(ascii: "n") || peek == UInt8(ascii: "\\") {
                    text.append(peek == UInt8(ascii: "n") ? UInt8(ascii: "\n") : UInt8(ascii: "\\"))
                    position += 1
                } else {
                    text.append(byte)
                }
            }
            return String(decoding: text, as: UTF8.self)
        }

        func error(_ message: String) -> PrometheusParseError {
            PrometheusParseError(line: line, message: message)
        }
    }
}
