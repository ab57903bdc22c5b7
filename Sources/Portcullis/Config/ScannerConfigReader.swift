/// Reads the operator config's `scanner:` section (its own file, so the main reader stays small).
enum ScannerConfigReader {
    static let keys = [
        "engine", "signature_directories", "system_database", "clamd", "limits", "concurrency",
        "memory_threshold", "spool_directory", "quarantine", "reload_interval",
    ]

    static func read(_ value: YAMLValue) -> ScannerConfig? {
        guard let fields = value.mapping(allowed: keys) else { return nil }
        var config = ScannerConfig()
        var ok = true
        if let engine = fields["engine"], let text = engine.string() {
            if let parsed = ScannerConfig.Engine(rawValue: text) {
                config.engine = parsed
            } else {
                engine.report("\(engine.path) must be clamav (libclamav in process) or clamd; found '\(text)'")
                ok = false
            }
        }
        #if !ClamAVInProcess
        if config.engine == .clamav {
            (fields["engine"] ?? value).report("scanner.engine is clamav but this build has no in-process engine (built without the ClamAVInProcess trait); expected engine: clamd")
            ok = false
        }
        #endif
        if let directories = fields["signature_directories"] {
            if let list = directories.stringList(), !list.isEmpty, list.allSatisfy({ !$0.isEmpty }) {
                config.signatureDirectories = list
            } else {
                directories.report("\(directories.path) must list at least one directory of signature files")
                ok = false
            }
        }
        if let flag = fields["system_database"] {
            if let parsed = flag.bool() { config.systemDatabase = parsed } else { ok = false }
        }
        if let clamd = fields["clamd"] {
            if !readClamd(clamd, into: &config) { ok = false }
        }
        if config.engine == .clamd, config.clamdAddresses.isEmpty {
            (fields["clamd"] ?? fields["engine"] ?? value).report("scanner.engine is clamd but scanner.clamd.addresses is empty; expected addresses: [\"unix:/run/clamav/clamd.ctl\"] or [\"tcp://127.0.0.1:3310\"]")
            ok = false
        }
        if let limits = fields["limits"] {
            if let parsed = limits.mapping(allowed: ["max_file_size", "max_scan_size", "max_recursion", "max_files"]) {
                if let v = parsed["max_file_size"] { if let n = v.byteSize(atLeast: 1024) { config.maxFileSize = n } else { ok = false } }
                if let v = parsed["max_scan_size"] { if let n = v.byteSize(atLeast: 1024) { config.maxScanSize = n } else { ok = false } }
                if let v = parsed["max_recursion"] { if let n = v.int(in: 1...64) { config.maxRecursion = n } else { ok = false } }
                if let v = parsed["max_files"] { if let n = v.int(in: 1...1_000_000) { config.maxFiles = n } else { ok = false } }
            } else {
                ok = false
            }
        }
        if let v = fields["concurrency"] { if let n = v.int(in: 1...256) { config.concurrency = n } else { ok = false } }
        if let v = fields["memory_threshold"] { if let n = v.byteSize(atLeast: 0) { config.memoryThreshold = n } else { ok = false } }
        if let v = fields["spool_directory"] {
            if let text = v.string(), !text.isEmpty { config.spoolDirectory = text } else { ok = false }
        }
        if let v = fields["reload_interval"] { if let n = v.durationNanoseconds(atLeast: 100_000_000) { config.reloadInterval = n } else { ok = false } }
        if let quarantine = fields["quarantine"] {
            if let parsed = quarantine.mapping(allowed: ["directory", "max_bytes"], required: ["directory"]) {
                if let directory = parsed["directory"]?.string() {
                    if directory.isEmpty {
                        parsed["directory"]?.report("scanner.quarantine.directory must name a directory")
                        ok = false
                    } else {
                        config.quarantineDirectory = directory
                    }
                } else {
                    ok = false
                }
                if let v = parsed["max_bytes"] { if let n = v.byteSize(atLeast: 1024) { config.quarantineMaxBytes = n } else { ok = false } }
            } else {
                ok = false
            }
        }
        return ok ? config : nil
    }

    private static func readClamd(_ value: YAMLValue, into config: inout ScannerConfig) -> Bool {
        guard let fields = value.mapping(allowed: ["addresses", "connect_timeout", "timeout", "pool_size"], required: ["addresses"]) else { return false }
        var ok = true
        if let addresses = fields["addresses"], let items = addresses.sequence() {
            for item in items {
                guard let text = item.string() else { ok = false; continue }
                guard let address = ClamdAddress(text) else {
                    item.report("\(item.path) is '\(text)'; expected tcp://HOST:PORT or unix:/PATH")
                    ok = false
                    continue
                }
                config.clamdAddresses.append(address)
            }
            if items.isEmpty {
                addresses.report("\(addresses.path) must list at least one clamd address")
                ok = false
            }
        } else {
            ok = false
        }
        if let v = fields["connect_timeout"] { if let n = v.durationNanoseconds() { config.clamdConnectTimeout = n } else { ok = false } }
        if let v = fields["timeout"] { if let n = v.durationNanoseconds() { config.clamdTimeout = n } else { ok = false } }
        if let v = fields["pool_size"] { if let n = v.int(in: 0...256) { config.clamdPoolSize = n } else { ok = false } }
        return ok
    }
}
