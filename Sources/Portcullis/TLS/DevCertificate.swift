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
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)

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

        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(90 * 86400),
            issuer: authorityName,
            subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey)
        )

        try write(leafKey.pemRepresentation, to: paths.privateKey, mode: 0o600)
        try write(authorityKey.pemRepresentation, to: directory + "/ca-key.pem", mode: 0o600)
        try write(try leaf.serializeAsPEM().pemString + "\n" + authority.serializeAsPEM().pemString + "\n", to: paths.certificateChain, mode: 0o644)
        try write(try authority.serializeAsPEM().pemString + "\n", to: paths.authority, mode: 0o644)
        return true
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        let manager = FileManager.default
        guard manager.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
