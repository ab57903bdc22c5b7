import Foundation
import Logging
import NIOSSL
@testable import Portcullis
import Testing

struct TLSContextProviderTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A renewal job moves the new key into place, then the new certificate. A reload that reads
    /// between the two fails (new key, old certificate); if the certificate arrives while that
    /// attempt is failing, the next check must still load it (it used to record the files as they
    /// were after the attempt, and never looked again).
    @Test func aCertificateReplacedWhileAReloadFailsIsLoadedOnTheNextCheck() throws {
        let live = try Self.directory()
        let staging = try Self.directory()
        defer {
            try? FileManager.default.removeItem(at: live)
            try? FileManager.default.removeItem(at: staging)
        }
        try DevCertificate.issue(into: live.path, leaves: [(stem: "localhost", names: ["localhost"])])
        try DevCertificate.issue(into: staging.path, leaves: [(stem: "localhost", names: ["localhost"])])
        let config = TLSConfig(certificates: [.init(certificate: live.path + "/localhost.pem", key: live.path + "/localhost-key.pem")])
        let provider = try TLSContextProvider(listener: "https", config: config, http2: false, logger: Logger(label: "test"))
        let old = provider.defaultCertificate
        let new = try NIOSSLCertificate.fromPEMFile(staging.path + "/localhost.pem")[0]

        #expect(rename(staging.path + "/localhost-key.pem", live.path + "/localhost-key.pem") == 0)
        provider.reloadIfChanged(afterFailedAttempt: {
            #expect(rename(staging.path + "/localhost.pem", live.path + "/localhost.pem") == 0)
        })
        #expect(provider.defaultCertificate == old, "a new key with the old certificate must not load")
        provider.reloadIfChanged()
        #expect(provider.defaultCertificate == new)
    }

    /// A key that does not belong to its certificate is refused when the files are read, for every
    /// pair: the first pair's is checked by the TLS context built from it; the others are only used
    /// through SNI, where a mismatch would surface as failed handshakes for that name alone.
    @Test func aKeyThatIsNotTheCertificatesIsRefusedForEveryPair() throws {
        let first = try Self.directory()
        let second = try Self.directory()
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        try DevCertificate.issue(into: first.path, leaves: [(stem: "localhost", names: ["localhost"]), (stem: "api", names: ["api.example.com"])])
        try DevCertificate.issue(into: second.path, leaves: [(stem: "api", names: ["api.example.com"])])
        let mismatched = TLSConfig(certificates: [
            .init(certificate: first.path + "/localhost.pem", key: first.path + "/localhost-key.pem"),
            .init(certificate: first.path + "/api.pem", key: second.path + "/api-key.pem"),
        ])
        #expect(throws: (any Error).self) {
            _ = try TLSContextProvider(listener: "https", config: mismatched, http2: false, logger: Logger(label: "test"))
        }
    }
}
