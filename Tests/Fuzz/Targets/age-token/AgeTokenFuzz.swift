import Crypto
import Foundation
import FuzzSupport
import JWTKit
import NIOHTTP1
@testable import PortcullisFuzzed

/// The geo rule's age-token check (`GeoAgeToken`: the token found in a header or cookie, verified
/// by `JWTClaimVerifier` with jwt-kit, then `accepts`).
///
/// Input: byte 0 picks the rule's key (bits 0-1: HS256, ES256, EdDSA), who signs (bits 2-3: the
/// rule's key, another key of the same kind, nobody: the rest is the token as sent, or the rule's
/// key over the rest as one segment) and where the token travels (bit 4: header or cookie). The
/// rest is the JOSE header and the claims, separated by a line feed, each base64url-encoded by
/// the harness and signed with swift-crypto.
///
/// Invariants: a token not signed with the rule's key and algorithm (checked here with
/// swift-crypto on the token's own segments) is never accepted; an accepted token's claims are a
/// JSON object whose `exp` is a number after the check began, whose `nbf` (if any) is a number
/// not after it ended, and whose claim is `true`.
enum AgeTokenFuzz {
    enum Kind: CaseIterable {
        case hs256, es256, eddsa

        var algorithm: String {
            switch self {
            case .hs256: return "HS256"
            case .es256: return "ES256"
            case .eddsa: return "EdDSA"
            }
        }
    }

    /// The rule's keys (the HS secret is the integration tests'), and other keys of each kind.
    static let secret = Array("test-age-token-secret-0123456789abcdef".utf8)
    static let otherSecret = Array("another-secret-of-the-other-issuer-0123456789".utf8)
    static let es256 = P256.Signing.PrivateKey()
    static let otherES256 = P256.Signing.PrivateKey()
    static let eddsa = Curve25519.Signing.PrivateKey()
    static let otherEdDSA = Curve25519.Signing.PrivateKey()

    static func material(_ kind: Kind) -> JWTKeyMaterial {
        let result: Result<JWTKeyMaterial, JWTKeyMaterial.KeyError>
        switch kind {
        case .hs256:
            result = JWTKeyMaterial.make(algorithm: "HS256", secret: String(decoding: secret, as: UTF8.self), publicKey: nil, jwks: nil)
        case .es256:
            result = JWTKeyMaterial.make(algorithm: "ES256", secret: nil, publicKey: es256.publicKey.pemRepresentation, jwks: nil)
        case .eddsa:
            // What `make` builds from a PEM Ed25519 key (swift-crypto writes such PEM only in CryptoExtras).
            result = .success(.eddsa(EdDSA.PublicKey(backing: eddsa.publicKey)))
        }
        guard case .success(let material) = result else { fatalError("the harness's \(kind) key is refused") }
        return material
    }

    static let materials = Kind.allCases.map(material)

    static func test(_ input: UnsafeRawBufferPointer) {
        guard let control = input.first else { return }
        let kind = Kind.allCases[Int(control & 3) % 3]
        let signer = (control >> 2) & 3
        let rest = Array(input.dropFirst())

        let token: String
        switch signer {
        case 2:
            token = String(decoding: rest, as: UTF8.self)
        case 3:
            let text = String(decoding: rest, as: UTF8.self)
            token = text + "." + base64URL(sign(Array(text.utf8), kind: kind, other: false))
        default:
            let newline = rest.firstIndex(of: 0x0A) ?? rest.endIndex
            let signingInput = base64URL(Array(rest[..<newline])) + "." + base64URL(Array(rest[min(newline + 1, rest.endIndex)...]))
            token = signingInput + "." + base64URL(sign(Array(signingInput.utf8), kind: kind, other: signer == 1))
        }

        let ageToken = GeoAgeToken(cookie: "age_token", header: "X-Age-Token", claim: "age_over_18", key: materials[Int(control & 3) % 3])
        let headers = control & 16 == 0
            ? HTTPHeaders([("X-Age-Token", "Bearer " + token)])
            : HTTPHeaders([("Cookie", "theme=dark; age_token=" + token)])
        guard let found = ageToken.token(in: headers) else { return }
        let presented = String(found)

        let started = Date().timeIntervalSince1970
        let accepted = verify(presented, with: ageToken)
        let ended = Date().timeIntervalSince1970
        guard accepted else { return }

        FuzzDriver.require(signer != 1, "a token signed with another \(kind.algorithm) key was accepted")
        FuzzDriver.require(signatureIsValid(presented, kind: kind), "a token whose signature the rule's key does not verify was accepted: \(presented)")
        // The header's `alg` is not what decides: jwt-kit verifies with the rule's one key and its
        // algorithm whatever the header names (so a token cannot choose HS256 with a public key
        // as the secret); the signature check above is the invariant.
        let segments = presented.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let claims = json(String(segments[1])) else { return FuzzDriver.require(false, "accepted claims are not a JSON object") }
        let exp = number(claims["exp"])
        FuzzDriver.require(exp.map { $0 > started } == true, "accepted with exp \(String(describing: claims["exp"])) at \(started)")
        if let nbf = claims["nbf"] {
            FuzzDriver.require(number(nbf).map { $0 <= ended } == true, "accepted with nbf \(nbf) at \(ended)")
        }
        FuzzDriver.require(claims["age_over_18"] == .bool(true) || claims["age_over_18"] == .string("true"),
                           "accepted with age_over_18 \(String(describing: claims["age_over_18"]))")
    }

    /// What the gateway decides, as `GeoPhase` does: verify off the loop, then read the cache.
    static func verify(_ token: String, with ageToken: GeoAgeToken) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Task {
            await ageToken.verifier.verifyAndCache(token, now: 0)
            done.signal()
        }
        done.wait()
        guard case .verified(let claims) = ageToken.verifier.cachedClaims(for: token[...], now: 1) else { return false }
        return ageToken.accepts(claims)
    }

    static func sign(_ data: [UInt8], kind: Kind, other: Bool) -> [UInt8] {
        switch kind {
        case .hs256:
            return Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: other ? otherSecret : secret)))
        case .es256:
            return Array(try! (other ? otherES256 : es256).signature(for: data).rawRepresentation)
        case .eddsa:
            return Array(try! (other ? otherEdDSA : eddsa).signature(for: data))
        }
    }

    /// The signature check, independent of jwt-kit: three segments, the third the rule's key's
    /// signature over the first two.
    static func signatureIsValid(_ token: String, kind: Kind) -> Bool {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let signature = base64URLDecode(String(segments[2])) else { return false }
        let signed = Array((segments[0] + "." + segments[1]).utf8)
        switch kind {
        case .hs256:
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: SymmetricKey(data: secret))
        case .es256:
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return es256.publicKey.isValidSignature(parsed, for: signed)
        case .eddsa:
            return eddsa.publicKey.isValidSignature(signature, for: signed)
        }
    }

    /// A JSON value, kept with its type (a NumericDate is a number, not a string or a boolean).
    enum JSON: Decodable, Equatable {
        case bool(Bool), number(Double), string(String), null, array([JSON]), object([String: JSON])
        /// Not valid JSON (e.g. `000`).
        case invalid

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
            // As the gateway reads claims (Int64 first, which Foundation reads more leniently: `099`).
            else if let number = try? container.decode(Int64.self) { self = .number(Double(number)) }
            else if let number = try? container.decode(Double.self) { self = .number(number) }
            else if let text = try? container.decode(String.self) { self = .string(text) }
            else if let array = try? container.decode([JSON].self) { self = .array(array) }
            else { self = .object(try container.decode([String: JSON].self)) }
        }
    }

    /// The claims object, each value read on its own as Foundation's decoder reads them for the
    /// gateway (lazily: a malformed value elsewhere does not spoil the others).
    struct Claims: Decodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        var values: [String: JSON] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys { values[key.stringValue] = (try? container.decode(JSON.self, forKey: key)) ?? .invalid }
        }
    }

    static func json(_ segment: String) -> [String: JSON]? {
        guard let data = base64URLDecode(segment) else { return nil }
        return (try? JSONDecoder().decode(Claims.self, from: Data(data)))?.values
    }

    static func number(_ value: JSON?) -> Double? {
        if case .number(let number)? = value { return number }
        return nil
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}

@_cdecl("fuzz_age_token_main")
func fuzzMain(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc: argc, argv: argv, AgeTokenFuzz.test)
}
