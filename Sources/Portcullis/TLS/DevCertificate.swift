import Crypto
import Foundation
import SwiftASN1
import X509

/// A local certificate authority and a certificate for localhost, 127.0.0.1 and ::1, so a newcomer
/// gets HTTPS at once. Never for production: the CA key sits next to the certificate.
public enum DevCertificate {
    public struct Files: Sendable {
        public var certificateChain: String
        public var privateKey: String
        public var authority: String
    }

    public static func files(in directory: String) -> Files {
        Files(
            certificateChain: directory + "/localhost.pem",
            privateKey: directory + "/localhost-key.pem",
            authority: directory + "/ca.pem"
        )
    }

    /// Generates the files unless all of them exist. Returns true when it generated them.
    @discardableResult
    public static func ensure(in directory: String, now: Date = Date()) throws -> Bool {
        let paths = files(in: directory)
        let manager = FileManager.default
        if manager.fileExists(atPath: paths.certificateChain), manager.fileExists(atPath: paths.privateKey), manager.fileExists(atPath: paths.authority) {
            return false
        }
        try issue(into: directory, leaves: [(stem: "localhost", names: ["localhost", "127.0.0.1", "::1"])], now: now)
        return true
    }

    /// Writes a new CA (`ca.pem`, `ca-key.pem`) and, for each leaf, `<stem>.pem` (certificate and CA)
    /// and `<stem>-key.pem`, ECDSA P-256. Names that parse as IP addresses become IP address SANs.
    public static func issue(into directory: String, leaves: [(stem: String, names: [String])], now: Date = Date()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName {
            OrganizationName("Portcullis development")
            CommonName("Portcullis development CA")
        }
        let authority = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(authorityKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: authorityName,
            subject: authorityName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey)
        )
        let authorityPEM = try authority.serializeAsPEM().pemString + "\n"
        try write(authorityKey.pemRepresentation, to: directory + "/ca-key.pem", mode: 0o600)
        try write(authorityPEM, to: directory + "/ca.pem", mode: 0o644)

        for leaf in leaves {
            let key = P256.Signing.PrivateKey()
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(90 * 86400),
                issuer: authorityName,
                subject: try DistinguishedName { CommonName(leaf.names.first ?? leaf.stem) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(leaf.names.map(generalName))
                },
                issuerPrivateKey: Certificate.PrivateKey(authorityKey)
            )
            try write(key.pemRepresentation, to: "\(directory)/\(leaf.stem)-key.pem", mode: 0o600)
            try write(try certificate.serializeAsPEM().pemString + "\n" + authorityPEM, to: "\(directory)/\(leaf.stem).pem", mode: 0o644)
        }
    }

    private static func generalName(_ name: String) -> GeneralName {
        if let address = IPAddress(name) {
            switch address {
            case .v4(let value):
                return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: value.bigEndian) { ArraySlice($0) }))
            case .v6(let value):
                return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: value.bigEndian) { ArraySlice($0) }))
            }
        }
        return .dnsName(name)
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        let manager = FileManager.default
        guard manager.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
