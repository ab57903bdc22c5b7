import NIOHTTP1

/// Reads the `uploads:` sections of every policy file (each a list of rules, in file order) and
/// compiles them, reporting every problem into the shared collector.
final class UploadsBuilder {
    static let ruleKeys = ["max_bytes", "allow_types", "scan", "on_scanner_error", "quarantine", "blocked_status", "show_signature"]
    static let typeNames = FileType.allCases.map(\.rawValue).joined(separator: ", ")

    private let context: PolicyReadContext
    private var rules = PolicyRuleList<UploadRule>()

    init(context: PolicyReadContext) {
        self.context = context
    }

    /// Reads one file's `uploads:` section.
    func add(_ section: YAMLValue) {
        guard let items = section.sequence() else { return }
        for item in items {
            let read = PolicyRuleReader.read(item, kindKeys: Self.ruleKeys, required: [("max_bytes", "max_bytes: 20MiB")], context: context, body: Self.readBody)
            guard let read else { continue }
            if read.common.mode == .shadow {
                context.collector.report(item.location, "rule '\(read.common.name)': uploads rules have no shadow mode (the body would be held back all the same); expected mode: enforce")
                continue
            }
            guard let body = read.body, !read.lacksRequiredKey else { continue }
            let rule = UploadRule(
                common: read.common, maxBytes: body.maxBytes, allowTypes: body.allowTypes, scan: body.scan, onScannerError: body.onScannerError,
                quarantine: body.quarantine, blockedStatus: body.blockedStatus, showSignature: body.showSignature
            )
            rules.append(rule, isComparable: read.isComparable)
        }
    }

    func build() -> UploadPolicy {
        UploadPolicy(rules: rules.checked(into: context.collector))
    }

    private struct Body {
        var maxBytes = 0
        var allowTypes: [FileType] = []
        var scan = true
        var onScannerError = UploadRule.ScannerErrorAction.deny
        var quarantine = true
        var blockedStatus = HTTPResponseStatus.forbidden
        var showSignature = false
    }

    private static func readBody(_ fields: [String: YAMLValue]) -> Body? {
        var body = Body()
        var ok = true
        if let value = fields["max_bytes"] {
            if let bytes = value.byteSize(atLeast: 1) { body.maxBytes = bytes } else { ok = false }
        }
        if let value = fields["allow_types"] {
            if let names = value.stringList() {
                let items = value.sequence() ?? [value]
                for (index, name) in names.enumerated() {
                    let normalized = name.trimmingWhitespace().lowercased()
                    if let type = FileType(rawValue: normalized) {
                        if !body.allowTypes.contains(type) { body.allowTypes.append(type) }
                    } else {
                        let at = index < items.count ? items[index] : value
                        at.report("\(at.path) is '\(name)', a type the gateway cannot recognise from a file's bytes; expected one of \(typeNames)")
                        ok = false
                    }
                }
            } else {
                ok = false
            }
        }
        if let value = fields["scan"], let text = value.string() {
            switch text {
            case "required": body.scan = true
            case "off": body.scan = false
            default:
                value.report("\(value.path) must be required (every file is scanned) or off (types and size only); found '\(text)'")
                ok = false
            }
        } else if fields["scan"] != nil {
            ok = false
        }
        if let value = fields["on_scanner_error"], let text = value.string() {
            if let action = UploadRule.ScannerErrorAction(rawValue: text) {
                body.onScannerError = action
            } else {
                value.report("\(value.path) must be deny (503, the default) or allow (forward unscanned); found '\(text)'")
                ok = false
            }
        } else if fields["on_scanner_error"] != nil {
            ok = false
        }
        if let value = fields["quarantine"] {
            if let flag = value.bool() { body.quarantine = flag } else { ok = false }
        }
        if let value = fields["blocked_status"] {
            if let code = value.int(in: 400...499) {
                if code == 403 || code == 422 {
                    body.blockedStatus = HTTPResponseStatus(statusCode: code)
                } else {
                    value.report("\(value.path) must be 403 or 422; found \(code)")
                    ok = false
                }
            } else {
                ok = false
            }
        }
        if let value = fields["show_signature"] {
            if let flag = value.bool() { body.showSignature = flag } else { ok = false }
        }
        if !body.scan, body.allowTypes.isEmpty, ok, let value = fields["scan"] {
            value.report("\(value.path) is off and the rule has no allow_types: it would check nothing but the size; expected scan: required or an allow_types list")
            ok = false
        }
        return ok ? body : nil
    }
}
