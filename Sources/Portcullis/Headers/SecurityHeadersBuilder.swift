/// Collects the `headers:` sections of every policy file (in file order) and compiles them into
/// one `SecurityHeaderPolicy`, reporting every problem into the shared collector.
final class SecurityHeadersBuilder {
    static let sectionKeys = ["global", "rules"]
    static let ruleKeys = ["inherit"] + HeaderBlockReader.blockKeys + HeaderBlockReader.ruleOnlyKeys

    private struct Rule {
        var common: PolicyRuleCommon
        var inherit: Bool
        var block: HeaderBlock
        /// Takes part in reachability checks (its name is its own and its match is valid).
        var isComparable: Bool
    }

    private let context: PolicyReadContext
    private var global: HeaderBlock?
    private var rules: [Rule] = []

    init(context: PolicyReadContext) {
        self.context = context
    }

    /// Reads one file's `headers:` section.
    func add(_ section: YAMLValue) {
        guard let fields = section.mapping(allowed: Self.sectionKeys) else { return }
        if let globalValue = fields["global"] {
            if let first = global {
                globalValue.report("headers.global is already defined at \(first.location.file):\(first.location.line); expected one global block across all policy files")
            } else if let blockFields = globalValue.mapping(allowed: HeaderBlockReader.blockKeys) {
                let block = HeaderBlockReader.read(blockFields, at: globalValue.location)
                global = block
                if let cookies = block.cookies, cookies.enabled, cookies.sameSite == SameSite.noRestriction, cookies.secure != true {
                    report(cookies: cookies, at: cookies.sameSiteLocation ?? cookies.location, ruleName: nil)
                }
            }
        }
        if let rulesValue = fields["rules"], let items = rulesValue.sequence() {
            for item in items {
                let read = PolicyRuleReader.read(item, kindKeys: Self.ruleKeys, context: context) { ruleFields in
                    let inherit = ruleFields["inherit"].map { $0.bool() ?? true } ?? true
                    return (inherit: inherit, block: HeaderBlockReader.read(ruleFields, at: item.location))
                }
                if let read {
                    rules.append(Rule(common: read.common, inherit: read.body.inherit, block: read.body.block, isComparable: read.isComparable))
                }
            }
        }
    }

    /// Merges the global block into each inheriting rule, checks the result, and compiles.
    func build() -> SecurityHeaderPolicy {
        let globalActions = global.map { compile(entries: Self.entries(of: $0), cookies: Self.cookies(of: $0, base: nil)) } ?? .none
        var compiled: [HeaderRule] = []
        for rule in rules {
            var entries: [Entry] = []
            var cookies: CookieHardening?
            if rule.inherit, let global {
                entries = Self.entries(of: global)
                cookies = Self.cookies(of: global, base: nil)
                for kept in rule.block.keep {
                    guard let index = entries.firstIndex(where: { $0.lowercased == kept.lowercased }) else {
                        context.collector.report(kept.location, "rule '\(rule.common.name)': keep names '\(kept.name)', which headers.global does not set, default or remove; expected one of \(Self.describeNames(entries))")
                        continue
                    }
                    entries.remove(at: index)
                }
            } else if let first = rule.block.keep.first {
                let why = rule.inherit ? "there is no headers.global block" : "the rule has inherit: false"
                context.collector.report(first.location, "rule '\(rule.common.name)': keep has nothing to keep because \(why); expected keep only in rules that inherit the global block")
            }
            for entry in Self.entries(of: rule.block) {
                if let index = entries.firstIndex(where: { $0.lowercased == entry.lowercased }) {
                    entries[index] = entry
                } else {
                    entries.append(entry)
                }
            }
            if let written = rule.block.cookies {
                cookies = Self.cookies(of: rule.block, base: rule.inherit ? cookies : nil)
                if let cookies, cookies.sameSite == SameSite.noRestriction, !cookies.secure, written.sameSiteLocation != nil || written.secureLocation != nil {
                    report(cookies: written, at: written.sameSiteLocation ?? written.secureLocation!, ruleName: rule.common.name)
                }
            }
            compiled.append(HeaderRule(common: rule.common, actions: compile(entries: entries, cookies: cookies)))
        }
        PolicyReachability.check(rules.filter(\.isComparable).map(\.common), into: context.collector)
        return SecurityHeaderPolicy(global: globalActions, rules: compiled)
    }

    private func report(cookies: HeaderBlock.Cookies, at location: SourceLocation, ruleName: String?) {
        let prefix = ruleName.map { "rule '\($0)': " } ?? ""
        context.collector.report(location, prefix + "\(cookies.path).same_site is None without secure: true; expected secure: true beside it (browsers reject SameSite=None cookies that are not Secure), or same_site Lax or Strict")
    }

    // MARK: Merging

    private enum Action {
        case set(HeaderField)
        case `default`(HeaderField)
        case remove(String)
    }

    private struct Entry {
        var lowercased: String
        var name: String
        var action: Action
    }

    private static func entries(of block: HeaderBlock) -> [Entry] {
        block.set.map { Entry(lowercased: $0.field.lowercasedName, name: $0.field.name, action: .set($0.field)) }
            + block.defaults.map { Entry(lowercased: $0.field.lowercasedName, name: $0.field.name, action: .default($0.field)) }
            + block.remove.map { Entry(lowercased: $0.lowercased, name: $0.name, action: .remove($0.lowercased)) }
    }

    /// The block's cookie settings over `base` (the inherited ones); nil: no hardening.
    private static func cookies(of block: HeaderBlock, base: CookieHardening?) -> CookieHardening? {
        guard let written = block.cookies else { return base }
        guard written.enabled else { return nil }
        var result = base ?? CookieHardening()
        if let v = written.secure { result.secure = v }
        if let v = written.httpOnly { result.httpOnly = v }
        if let v = written.sameSite { result.sameSite = v }
        if let v = written.except { result.except = v }
        return result
    }

    private func compile(entries: [Entry], cookies: CookieHardening?) -> HeaderActions {
        var remove: [String] = [], set: [HeaderField] = [], defaults: [HeaderField] = []
        for entry in entries {
            switch entry.action {
            case .set(let field): set.append(field)
            case .default(let field): defaults.append(field)
            case .remove(let name): remove.append(name)
            }
        }
        return HeaderActions(remove: remove, set: set, defaults: defaults, cookies: cookies)
    }

    private static func describeNames(_ entries: [Entry]) -> String {
        entries.isEmpty ? "nothing (the global block has no headers)" : entries.map(\.name).joined(separator: ", ")
    }
}
