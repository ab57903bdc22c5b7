import Foundation
import Portcullis

/// A fresh CA and a certificate for localhost and 127.0.0.1, for tests that start a TLS listener.
struct TestCertificates {
    let directory: URL

    init() throws {
        directory = try TestPaths.temporaryDirectory()
        try DevCertificate.issue(into: directory.path, leaves: [(stem: "localhost", names: ["localhost", "127.0.0.1"])])
    }

    /// The CA file clients verify with (`curl --cacert`).
    var ca: String { "\(directory.path)/ca.pem" }

    /// The listener's `tls:` block for `GatewayProcess.start(_:tls:)`.
    var tlsBlock: String {
        "tls: { certificates: [{ certificate: \(directory.path)/localhost.pem, key: \(directory.path)/localhost-key.pem }] }"
    }
}
