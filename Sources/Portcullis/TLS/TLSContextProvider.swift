import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// The TLS setup of one listener: a server context built from its certificates, SNI selection,
/// and reloading when a certificate or key file changes on disk. New handshakes use the newest
/// context; open connections keep the one they started with.
final class TLSContextProvider: Sendable {
    private struct Current {
        var context: NIOSSLContext
        var store: CertificateStore
        var stamps: [String: String]
    }

    let listener: String
    private let config: TLSConfig
    private let alpn: [String]
    private let current: NIOLockedValueBox<Current>
    private let logger: Logger

    /// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers only. TLS 1.3 suites are all AEAD.
    static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// Loads the certificates (generating the development one first if configured). Blocking: call at start-up.
    init(listener: String, config: TLSConfig, http2: Bool, logger: Logger) throws {
        self.listener = listener
        self.config = config
        self.alpn = http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        self.logger = logger
        if config.devCertificate, try DevCertificate.ensure(in: config.devCertificateDirectory) {
            logger.warning("generated a development certificate; never use it in production", metadata: [
                "directory": "\(config.devCertificateDirectory)", "trust": "curl --cacert \(config.devCertificateDirectory)/ca.pem",
            ])
        }
        let loaded = try TLSContextProvider.load(config: config, alpn: alpn, unknown: config.unknownServerName, providerBox: nil)
        current = NIOLockedValueBox(loaded)
        // The SNI callback reads the store through the box, so a reload also changes SNI answers.
        let rebuilt = try TLSContextProvider.load(config: config, alpn: alpn, unknown: config.unknownServerName, providerBox: current)
        current.withLockedValue { $0 = rebuilt }
    }

    var context: NIOSSLContext { current.withLockedValue { $0.context } }

    /// The leaf certificate of the default pair in force.
    var defaultCertificate: NIOSSLCertificate { current.withLockedValue { $0.store.entries[0].chain[0] } }

    /// What identifies each file's current version: its inode, size and modification time. The
    /// time alone misses a file renamed into place that was written in the same clock tick as the
    /// one it replaces (the kernel stamps files with a coarse clock) or copied with its time kept.
    private static func stamps(_ config: TLSConfig) -> [String: String] {
        var stamps: [String: String] = [:]
        for pair in config.certificates {
            for path in [pair.certificate, pair.key] {
                var info = stat()
                stamps[path] = stat(path, &info) == 0
                    ? "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
                    : "missing"
            }
        }
        return stamps
    }

    private static func load(config: TLSConfig, alpn: [String], unknown: TLSConfig.UnknownServerName, providerBox: NIOLockedValueBox<Current>?) throws -> Current {
        let stamps = stamps(config)
        let store = try CertificateStore(pairs: config.certificates)
        let fallback = store.entries[0]
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: fallback.chain.map { .certificate($0) },
            privateKey: .privateKey(fallback.key)
        )
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuites = tls12Ciphers
        tls.applicationProtocols = alpn
        if let box = providerBox {
            tls.sslContextCallback = { values, promise in
                let store = box.withLockedValue { $0.store }
                guard let name = values.serverHostname else {
                    promise.succeed(.noChanges)
                    return
                }
                if let entry = store.entry(for: name) {
                    var override = NIOSSLContextConfigurationOverride()
                    override.certificateChain = entry.chain.map { .certificate($0) }
                    override.privateKey = .privateKey(entry.key)
                    promise.succeed(override)
                } else if unknown == .refuse {
                    promise.fail(TLSSetupError(file: "-", reason: "no certificate for server name '\(name)'"))
                } else {
                    promise.succeed(.noChanges)
                }
            }
        }
        return Current(context: try NIOSSLContext(configuration: tls), store: store, stamps: stamps)
    }

    /// Re-reads the certificates if any file changed; a broken file keeps the working context.
    /// Blocking file I/O: run off the event loops.
    func reloadIfChanged() {
        reloadIfChanged(afterFailedAttempt: {})
    }

    /// - Parameter afterFailedAttempt: runs between a failed attempt and the recording of what it
    ///   saw (a test replaces a file there, as a renewal job racing the reload would).
    func reloadIfChanged(afterFailedAttempt: () -> Void) {
        let previous = current.withLockedValue { $0.stamps }
        let seen = TLSContextProvider.stamps(config)
        guard seen != previous else { return }
        do {
            let reloaded = try TLSContextProvider.load(config: config, alpn: alpn, unknown: config.unknownServerName, providerBox: current)
            current.withLockedValue { $0 = reloaded }
            logger.info("reloaded TLS certificates", metadata: ["listener": "\(listener)"])
        } catch {
            afterFailedAttempt()
            // Keep serving with what works; try again when the files change once more. The stamps
            // are those seen before reading: a file replaced while this attempt read the others
            // (the certificate just after its key) is tried on the next check, not skipped.
            current.withLockedValue { $0.stamps = seen }
            logger.error("could not reload TLS certificates; keeping the previous ones", metadata: ["listener": "\(listener)", "error": "\(error)"])
        }
    }

    var reloadInterval: Int64 { config.reloadInterval }
    var handshakeTimeout: Int64 { config.handshakeTimeout }
}
