import NIOSSL

/// The certificates of one TLS listener, loaded from their files, with the names each one serves
/// (its DNS subject alternative names, `*.example.com` included) for SNI.
struct CertificateStore: Sendable {
    struct Entry: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var names: [String]
    }

    /// The first entry is the default.
    let entries: [Entry]

    /// Reads and parses every certificate and key; throws with the file that is wrong.
    init(pairs: [TLSConfig.CertificatePair]) throws {
        var entries: [Entry] = []
        for pair in pairs {
            let chain: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(pair.certificate)
            } catch {
                throw TLSSetupError(file: pair.certificate, reason: "cannot read a PEM certificate chain (\(error))")
            }
            guard let leaf = chain.first else { throw TLSSetupError(file: pair.certificate, reason: "holds no certificate") }
            do {
                key = try NIOSSLPrivateKey(file: pair.key, format: .pem)
            } catch {
                throw TLSSetupError(file: pair.key, reason: "cannot read a PEM private key (\(error))")
            }
            // BoringSSL checks that a key belongs to its certificate when a context is built from
            // them. Only the first pair becomes the listener's own context; the others are served
            // through SNI, where a mismatch would only show as failed handshakes for their names.
            do {
                _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
            } catch {
                throw TLSSetupError(file: pair.key, reason: "is not the private key of \(pair.certificate) (\(error))")
            }
            var names: [String] = []
            for name in leaf._subjectAlternativeNames() where name.nameType == .dnsName {
                names.append(String(decoding: Array(name.contents), as: UTF8.self).lowercased())
            }
            entries.append(Entry(chain: chain, key: key, names: names))
        }
        guard !entries.isEmpty else { throw TLSSetupError(file: "-", reason: "no certificates configured") }
        self.entries = entries
    }

    /// The entry for an SNI name: an exact name first, then a wildcard one level up.
    func entry(for serverName: String) -> Entry? {
        let name = serverName.lowercased()
        for entry in entries where entry.names.contains(name) { return entry }
        if let dot = name.firstIndex(of: ".") {
            let wildcard = "*" + name[dot...]
            for entry in entries where entry.names.contains(wildcard) { return entry }
        }
        return nil
    }
}

/// A certificate or key that cannot be used, naming the file.
struct TLSSetupError: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "\(file): \(reason)" }
}
