import Foundation
import Logging
import NIOPosix
import UnixSignals

/// Keeps the gateway's policy current. The directory is polled for changes (and re-read at once
/// on SIGHUP); a changed set of files is read and compiled on the thread pool, never on an
/// event loop, and handed to `publish` only when it is valid. A bad edit keeps the old policy:
/// every problem is logged with its file:line:column, and the gateway goes on serving.
public actor PolicyReloader {
    public nonisolated let directory: String
    private let interval: Int64
    private let logger: Logger
    /// Hands a new snapshot to every event loop.
    private let publish: @Sendable (PolicySet) -> Void
    /// Every snapshot's phases: the one process-wide rate-limit store, scanner and geo database.
    private let phases: PolicyPhases
    /// Every reload, published or refused, is an audit line.
    private let audit: AuditLog?
    public private(set) var current: PolicySet
    private var fingerprint: PolicyFingerprint
    /// Reloads that published a new policy, and reloads refused because the files were invalid.
    public private(set) var succeeded = 0
    public private(set) var failed = 0
    /// The problems of the last refused reload; nil once a reload succeeds again.
    public private(set) var lastProblems: [Diagnostic]?
    /// A reload is running, and the reason of one asked for meanwhile (it runs next).
    private var reloading = false
    private var rerunReason: String?

    private init(directory: String, interval: Int64, logger: Logger, initial: PolicySet, fingerprint: PolicyFingerprint, phases: PolicyPhases, audit: AuditLog?, publish: @escaping @Sendable (PolicySet) -> Void) {
        self.directory = directory
        self.phases = phases
        self.audit = audit
        self.interval = interval
        self.logger = logger
        self.current = initial
        self.fingerprint = fingerprint
        self.publish = publish
    }

    /// Reads the policy at start-up (on the thread pool); invalid files are an error to start with.
    public static func start(config: PolicyConfig, logger: Logger, phases: PolicyPhases, audit: AuditLog? = nil, publish: @escaping @Sendable (PolicySet) -> Void) async throws -> PolicyReloader {
        let directory = config.directory
        let (set, fingerprint) = try await NIOThreadPool.singleton.runIfActive {
            let fingerprint = PolicyFingerprint(directory: directory)
            return (try PolicyReloader.load(directory: directory, phases: phases), fingerprint)
        }
        publish(set)
        logger.info("policy loaded", metadata: PolicyReloader.metadata(for: set))
        return PolicyReloader(directory: directory, interval: config.reloadInterval, logger: logger, initial: set, fingerprint: fingerprint, phases: phases, audit: audit, publish: publish)
    }

    /// Polls the directory until the task is cancelled.
    public func watch() async {
        let directory = self.directory
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval))
            guard let seen = try? await NIOThreadPool.singleton.runIfActive({ PolicyFingerprint(directory: directory) }) else { continue }
            guard seen != fingerprint else { continue }
            // An editor may be writing the file right now (a truncated file can be valid YAML):
            // read it only once it has held still for a moment.
            try? await Task.sleep(nanoseconds: 50_000_000)
            guard let settled = try? await NIOThreadPool.singleton.runIfActive({ PolicyFingerprint(directory: directory) }), settled == seen else { continue }
            await reload(reason: "file change")
        }
    }

    /// Reloads on every SIGHUP until the task is cancelled.
    public func reloadOnSignals() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            if Task.isCancelled { return }
            await reload(reason: "SIGHUP")
        }
    }

    /// Reads, validates and publishes the directory's policy now. Reloads never overlap: one
    /// asked for while another runs (a poll and a SIGHUP) runs right after it.
    /// - Returns: whether a new policy was published.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        if reloading {
            rerunReason = reason
            return false
        }
        reloading = true
        defer { reloading = false }
        var published = await readAndPublish(reason: reason)
        while let again = rerunReason {
            rerunReason = nil
            published = await readAndPublish(reason: again) || published
        }
        return published
    }

    /// The directory compiled with the gateway's phases. Upload rules without a scanner would not
    /// be enforced, so such a policy is refused (at start: the gateway does not start; on reload:
    /// the previous policy stays), never served with its uploads unchecked.
    static func load(directory: String, phases: PolicyPhases) throws(DiagnosticsError) -> PolicySet {
        let set = try PolicyLoader.load(directory: directory, environment: ProcessInfo.processInfo.environment, phases: phases)
        if phases.uploadScan == nil, let rule = set.uploads.rules.first {
            throw DiagnosticsError([Diagnostic(location: rule.common.location, message: "rule '\(rule.name)': upload rules need a scanner, and none is running: the default one (libclamav with signatures/) did not start; configure `scanner:` in the operator config")])
        }
        return set
    }

    private enum Outcome {
        case loaded(PolicySet)
        case invalid(DiagnosticsError)
        /// The files changed while they were read: what was read may be half old, half new.
        case changedWhileReading
    }

    private func readAndPublish(reason: String) async -> Bool {
        let directory = self.directory
        let phases = self.phases
        let seen: PolicyFingerprint
        let outcome: Outcome
        do {
            (seen, outcome) = try await NIOThreadPool.singleton.runIfActive {
                let before = PolicyFingerprint(directory: directory)
                let outcome: Outcome
                do throws(DiagnosticsError) {
                    outcome = .loaded(try PolicyReloader.load(directory: directory, phases: phases))
                } catch {
                    outcome = .invalid(error)
                }
                return (before, PolicyFingerprint(directory: directory) == before ? outcome : .changedWhileReading)
            }
        } catch {
            return false  // the thread pool is shutting down
        }
        switch outcome {
        case .changedWhileReading:
            // Not remembered: the next poll sees a change and reads the files again.
            logger.debug("policy files changed while being read; reading them again at the next check", metadata: ["reason": "\(reason)"])
            return false
        case .loaded(let set):
            fingerprint = seen
            current = set
            succeeded += 1
            lastProblems = nil
            publish(set)
            var metadata = PolicyReloader.metadata(for: set)
            metadata["reason"] = "\(reason)"
            logger.notice("policy reloaded", metadata: metadata)
            audit?.log(AuditRecord(event: .policyReload(ok: true, digest: set.digest, problems: [])))
            return true
        case .invalid(let error):
            // Remembered, so the same broken files are not re-read on every poll.
            fingerprint = seen
            failed += 1
            lastProblems = error.diagnostics
            for diagnostic in error.diagnostics {
                logger.error("policy reload refused: \(diagnostic)", metadata: ["reason": "\(reason)", "kept": "\(current.digest)"])
            }
            audit?.log(AuditRecord(event: .policyReload(ok: false, digest: nil, problems: error.diagnostics.map(\.description))))
            logger.error("policy reload refused; the previous policy stays in force", metadata: [
                "problems": "\(error.diagnostics.count)", "kept": "\(current.digest)", "reason": "\(reason)",
            ])
            return false
        }
    }

    private static func metadata(for set: PolicySet) -> Logger.Metadata {
        ["digest": "\(set.digest)", "files": "\(set.files.count)", "rules": "\(set.ruleNames.count)"]
    }
}
