import Crypto
import Yams

/// Reads the policy files of a directory (every `*.yaml` / `*.yml`, sorted by file name),
/// merges them and compiles every kind, or reports every problem in every file at once as
/// `file:line:column: rule 'NAME': what is wrong; what is expected`.
public enum PolicyLoader {
    /// Loads `directory` (for example `policies/`).
    /// - Parameter environment: resolves `${NAME}` in values, as in the operator config.
    /// - Parameter phases: the running gateway's, so the rules are enforced (validation and
    ///   policy tests need none).
    public static func load(directory: String, environment: [String: String] = [:], phases: PolicyPhases = .none) throws(DiagnosticsError) -> PolicySet {
        try parse(PolicyDirectory.sources(in: directory), environment: environment, phases: phases)
    }

    /// Compiles policy files already read, in the order given.
    public static func parse(_ sources: [PolicySource], environment: [String: String] = [:], phases: PolicyPhases = .none) throws(DiagnosticsError) -> PolicySet {
        let collector = DiagnosticCollector(environment: environment)
        let context = PolicyReadContext(collector: collector)
        let headers = SecurityHeadersBuilder(context: context)
        let cors = CORSBuilder(context: context)
        let rateLimits = RateLimitsBuilder(context: context)
        let uploads = UploadsBuilder(context: context)
        let geo = GeoBuilder(context: context)
        var syntaxErrors: [Diagnostic] = []

        for source in sources {
            let root: Node
            do {
                guard let composed = try Yams.compose(yaml: source.text) else { continue }  // only comments
                root = composed
            } catch {
                syntaxErrors.append(YAMLSyntax.diagnostic(for: error, file: source.file, yaml: source.text))
                continue
            }
            let top = YAMLValue(node: root, file: source.file, collector: collector, path: "")
            guard let sections = top.mapping(allowed: PolicyKind.allCases.map(\.rawValue)) else { continue }
            for kind in PolicyKind.allCases {
                guard let section = sections[kind.rawValue] else { continue }
                switch kind {
                case .headers:
                    headers.add(section)
                case .cors:
                    cors.add(section)
                case .rateLimits:
                    rateLimits.add(section)
                case .uploads:
                    uploads.add(section)
                case .geo:
                    geo.add(section)
                }
            }
        }
        let headerPolicy = headers.build()
        let corsPolicy = cors.build()
        let rateLimitPolicy = rateLimits.build()
        let uploadPolicy = uploads.build()
        let geoPolicy = geo.build()

        let texts = Dictionary(sources.map { ($0.file, $0.text) }, uniquingKeysWith: { first, _ in first })
        let placed = collector.diagnostics.map { diagnostic in texts[diagnostic.location.file].map { YAMLSyntax.insideText(diagnostic, yaml: $0) } ?? diagnostic }
        let diagnostics = sorted(syntaxErrors + placed, fileOrder: sources.map(\.file))
        if !diagnostics.isEmpty { throw DiagnosticsError(diagnostics) }
        return PolicySet(headers: headerPolicy, cors: corsPolicy, rateLimits: rateLimitPolicy, uploads: uploadPolicy, geo: geoPolicy,
                         files: sources.map(\.file), digest: digest(of: sources), phases: phases)
    }

    /// Names and contents, so renaming a file (which can change the rule order) changes it too.
    static func digest(of sources: [PolicySource]) -> String {
        var hash = SHA256()
        for source in sources {
            hash.update(data: Array(source.file.utf8) + [0])
            hash.update(data: Array(source.text.utf8) + [0])
        }
        return hash.finalize().prefix(6).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// In file order, then by position; reports at the same position keep their order.
    static func sorted(_ diagnostics: [Diagnostic], fileOrder: [String]) -> [Diagnostic] {
        let rank = Dictionary(fileOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return diagnostics.enumerated().sorted { a, b in
            let (fa, fb) = (rank[a.element.location.file] ?? Int.max, rank[b.element.location.file] ?? Int.max)
            if fa != fb { return fa < fb }
            if a.element.location.line != b.element.location.line { return a.element.location.line < b.element.location.line }
            if a.element.location.column != b.element.location.column { return a.element.location.column < b.element.location.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}
