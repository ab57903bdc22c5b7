/// TLS on a listener: certificates (chosen by SNI), the development certificate, handshake limits.
public struct TLSConfig: Sendable {
    public struct CertificatePair: Sendable, Hashable {
        /// PEM file: the certificate, then its intermediates.
        public var certificate: String
        /// PEM file: the private key (ECDSA or RSA).
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public enum UnknownServerName: String, Sendable, CaseIterable {
        /// Answer with the first certificate.
        case useDefault = "default"
        /// Abort the handshake.
        case refuse
    }

    /// In order: the first is the default for clients without SNI (or with an unknown name).
    public var certificates: [CertificatePair]
    /// Generate a local CA and a localhost certificate into `certs/dev/` when the files are missing.
    public var devCertificate = false
    public var devCertificateDirectory = "certs/dev"
    public var unknownServerName = UnknownServerName.useDefault
    public var handshakeTimeout: Int64 = 10_000_000_000
    /// How often certificate files are checked for changes.
    public var reloadInterval: Int64 = 2_000_000_000

    public init(certificates: [CertificatePair]) {
        self.certificates = certificates
    }
}

/// HTTP/2 on a TLS listener (negotiated by ALPN).
public struct HTTP2Config: Sendable {
    public var enabled = true
    public var maxConcurrentStreams = 100
    /// Defaults to `limits.max_header_bytes`.
    public var maxHeaderListSize: Int?
    /// RST_STREAM frames a client may send within `resetWindow` before it is sent GOAWAY (rapid reset).
    public var maxResets = 200
    public var resetWindow: Int64 = 30_000_000_000

    public init() {}
}
