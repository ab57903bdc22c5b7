import JWTKit

/// The key a rule verifies bearer tokens with (its `jwt:` block), checked when the policy is
/// read so that a bad key is a diagnostic, never a runtime surprise.
public enum JWTKeyMaterial: Sendable {
    case hmac(HMACKey, DigestAlgorithm)
    case ecdsa256(ES256PublicKey)
    case ecdsa384(ES384PublicKey)
    case rsa(Insecure.RSA.PublicKey, DigestAlgorithm)
    case eddsa(EdDSA.PublicKey)
    /// A JSON Web Key Set (keys chosen by each token's `kid`).
    case jwks(String)

    public static let algorithms = ["HS256", "HS384", "HS512", "ES256", "ES384", "RS256", "RS384", "RS512", "EdDSA"]

    /// Builds the key, or says what is wrong (a sentence fragment after the key's path).
    static func make(algorithm: String?, secret: String?, publicKey: String?, jwks: String?) -> Result<JWTKeyMaterial, KeyError> {
        if let jwks {
            guard algorithm == nil, secret == nil, publicKey == nil else { return .failure(KeyError("has jwks beside algorithm, secret or public_key; expected either jwks alone or algorithm with secret or public_key")) }
            do {
                _ = try JSONDecoder().decode(JWKS.self, from: Data(jwks.utf8))
            } catch {
                return .failure(KeyError("jwks is not a JSON Web Key Set (RFC 7517): \(error)", at: "jwks"))
            }
            return .success(.jwks(jwks))
        }
        guard let algorithm else { return .failure(KeyError("needs algorithm (one of \(algorithms.joined(separator: ", "))) with secret or public_key, or jwks")) }
        switch algorithm {
        case "HS256", "HS384", "HS512":
            guard let secret else { return .failure(KeyError("uses \(algorithm), which needs secret (the shared key, e.g. ${JWT_SECRET})")) }
            guard publicKey == nil else { return .failure(KeyError("uses \(algorithm) with public_key; expected secret for HS algorithms")) }
            let digest: DigestAlgorithm = algorithm == "HS256" ? .sha256 : algorithm == "HS384" ? .sha384 : .sha512
            let minimum = algorithm == "HS256" ? 32 : algorithm == "HS384" ? 48 : 64
            // RFC 7518 §3.2: the key must be at least as long as the hash output.
            guard secret.utf8.count >= minimum else { return .failure(KeyError("secret is \(secret.utf8.count) bytes; \(algorithm) needs at least \(minimum) (RFC 7518 §3.2)", at: "secret")) }
            return .success(.hmac(HMACKey(from: secret), digest))
        case "EdDSA":
            guard let publicKey else { return .failure(KeyError("uses EdDSA, which needs public_key (a PEM Ed25519 public key, e.g. ${file:keys/age.pem})")) }
            guard secret == nil else { return .failure(KeyError("uses EdDSA with secret; expected public_key for EdDSA")) }
            guard let key = try? EdDSA.PublicKey(pem: publicKey) else { return .failure(KeyError("public_key is not a PEM Ed25519 public key for EdDSA", at: "public_key")) }
            return .success(.eddsa(key))
        case "ES256", "ES384", "RS256", "RS384", "RS512":
            guard let publicKey else { return .failure(KeyError("uses \(algorithm), which needs public_key (a PEM public key, e.g. ${file:keys/jwt.pem})")) }
            guard secret == nil else { return .failure(KeyError("uses \(algorithm) with secret; expected public_key for \(algorithm)")) }
            do {
                switch algorithm {
                case "ES256": return .success(.ecdsa256(try ES256PublicKey(pem: publicKey)))
                case "ES384": return .success(.ecdsa384(try ES384PublicKey(pem: publicKey)))
                default:
                    let digest: DigestAlgorithm = algorithm == "RS256" ? .sha256 : algorithm == "RS384" ? .sha384 : .sha512
                    return .success(.rsa(try Insecure.RSA.PublicKey(pem: publicKey), digest))
                }
            } catch {
                return .failure(KeyError("public_key is not a PEM \(algorithm.hasPrefix("ES") ? "EC" : "RSA") public key for \(algorithm)", at: "public_key"))
            }
        default:
            var message = "algorithm '\(algorithm)' is not supported"
            if let suggestion = Spelling.closest(to: algorithm, among: algorithms) { message += "; did you mean '\(suggestion)'?" } else { message += "; expected one of \(algorithms.joined(separator: ", "))" }
            return .failure(KeyError(message))
        }
    }

    /// Adds the key to a collection (actor-isolated, hence async: done once, off the loop).
    func add(to collection: JWTKeyCollection) async throws {
        switch self {
        case .hmac(let key, let digest): await collection.add(hmac: key, digestAlgorithm: digest)
        case .ecdsa256(let key): await collection.add(ecdsa: key)
        case .ecdsa384(let key): await collection.add(ecdsa: key)
        case .rsa(let key, let digest): await collection.add(rsa: key, digestAlgorithm: digest)
        case .eddsa(let key): await collection.add(eddsa: key)
        case .jwks(let json): try await collection.add(jwksJSON: json)
        }
    }

    struct KeyError: Error {
        var message: String
        /// The key of the `jwt:` block the problem is reported at.
        var field: String?
        init(_ message: String, at field: String? = nil) {
            self.message = message
            self.field = field
        }
    }
}

import Foundation
