import Crypto
import Foundation
import JWTKit
import NIOHTTP1
import Testing
@testable import Portcullis

/// Age tokens signed with asymmetric keys (ES256, EdDSA): the gateway holds only the public key.
@Suite struct GeoAgeTokenTests {
    private struct AgeClaims: JWTPayload {
        var age_over_18: Bool
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private func rule(algorithm: String, publicKey: String) throws -> GeoAgeToken {
        let yaml = """
            geo:
              - name: adult
                match: { path_prefix: /adult/ }
                restricted: [GB]
                action:
                  require_age_token: { header: X-Age-Token, jwt: { algorithm: \(algorithm), public_key: "${KEY}" } }
            """
        let set = try PolicyLoader.parse([PolicySource(file: "p.yaml", text: yaml)], environment: ["KEY": publicKey])
        return try #require(set.geo.rules.first?.ageToken)
    }

    private func verified(_ ageToken: GeoAgeToken, _ token: String) async -> Bool {
        await ageToken.verifier.verifyAndCache(token, now: 0)
        guard case .verified(let claims) = ageToken.verifier.cachedClaims(for: token[...], now: 1) else { return false }
        return ageToken.accepts(claims)
    }

    @Test func eddsaAndES256TokensVerifyWithThePublicKey() async throws {
        let edKey = try EdDSA.PrivateKey(curve: .ed25519)
        let esKey = ES256PrivateKey()
        let claims = AgeClaims(age_over_18: true, exp: ExpirationClaim(value: Date().addingTimeInterval(600)))
        let edKeys = JWTKeyCollection()
        await edKeys.add(eddsa: edKey)
        let esKeys = JWTKeyCollection()
        await esKeys.add(ecdsa: esKey)
        let edToken = try await edKeys.sign(claims)
        let esToken = try await esKeys.sign(claims)

        let edRule = try rule(algorithm: "EdDSA", publicKey: edKey.publicKey.pemRepresentation)
        let esRule = try rule(algorithm: "ES256", publicKey: esKey.publicKey.pemRepresentation)
        #expect(await verified(edRule, edToken))
        #expect(await verified(esRule, esToken))
        // Each key refuses the other's tokens, and a token saying false proves nothing.
        #expect(!(await verified(edRule, esToken)))
        #expect(!(await verified(esRule, edToken)))
        let under = try await edKeys.sign(AgeClaims(age_over_18: false, exp: ExpirationClaim(value: Date().addingTimeInterval(600))))
        #expect(!(await verified(edRule, under)))
    }

    @Test func aTokenWithoutTheClaimOrWithoutExpIsRefused() async throws {
        let secret = String(repeating: "k", count: 32)
        let ageToken = GeoAgeToken(cookie: nil, header: "X-Age-Token", claim: "age_over_18", key: .hmac(HMACKey(from: secret), .sha256))
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let exp = AgeTokenPayload.Value.int(Int(Date().timeIntervalSince1970) + 600)
        let valid = try await keys.sign(AgeTokenPayload(claims: ["age_over_18": .bool(true), "exp": exp]))
        let noClaim = try await keys.sign(AgeTokenPayload(claims: ["exp": exp]))
        let noExp = try await keys.sign(AgeTokenPayload(claims: ["age_over_18": .bool(true)]))
        #expect(await verified(ageToken, valid))
        #expect(!(await verified(ageToken, noClaim)))
        #expect(!(await verified(ageToken, noExp)))
    }

    /// Found by the fuzz target `age-token`: an `exp` centuries away (1e25) overflowed Int64
    /// nanoseconds while the verified token's cache time was computed, and the gateway crashed.
    @Test func aTokenExpiringCenturiesAwayIsAcceptedWithoutOverflow() async throws {
        let secret = String(repeating: "k", count: 32)
        let ageToken = GeoAgeToken(cookie: nil, header: "X-Age-Token", claim: "age_over_18", key: .hmac(HMACKey(from: secret), .sha256))
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let far = try await keys.sign(FarClaims(age_over_18: true, exp: 1e25))
        #expect(await verified(ageToken, far))
    }

    private struct FarClaims: JWTPayload {
        var age_over_18: Bool
        var exp: Double
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Found by the fuzz target `age-token`: time claims were read as text, so `"exp": "never"`
    /// passed as a token that never expires and a malformed `nbf` (`000`) was ignored.
    @Test func aTokenWhoseExpOrNbfIsNotANumberIsRefused() async throws {
        let secret = String(repeating: "k", count: 32)
        let ageToken = GeoAgeToken(cookie: nil, header: "X-Age-Token", claim: "age_over_18", key: .hmac(HMACKey(from: secret), .sha256))
        let exp = String(Int(Date().timeIntervalSince1970) + 600)
        let header = GeoTestsBase64.url(#"{"alg":"HS256","typ":"JWT"}"#)
        for claims in [#"{"age_over_18":true,"exp":"never"}"#, #"{"age_over_18":true,"exp":true}"#, #"{"age_over_18":true,"exp":null}"#,
                       #"{"age_over_18":true,"exp":\#(exp),"nbf":"tomorrow"}"#, #"{"age_over_18":true,"exp":\#(exp),"nbf":000}"#] {
            let input = header + "." + GeoTestsBase64.url(claims)
            let signature = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(secret.utf8)))
            #expect(!(await verified(ageToken, input + "." + GeoTestsBase64.url(Data(signature)))), "\(claims)")
        }
        // The same way of signing makes an acceptable token when the claims are right.
        let good = header + "." + GeoTestsBase64.url(#"{"age_over_18":true,"exp":\#(exp),"nbf":1}"#)
        let signature = HMAC<SHA256>.authenticationCode(for: Array(good.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        #expect(await verified(ageToken, good + "." + GeoTestsBase64.url(Data(signature))))
    }

    @Test func theTokenIsFoundInTheHeaderOrAnyCookieField() throws {
        let token = GeoAgeToken(cookie: "age", header: "X-Age-Token", claim: "age_over_18", key: .hmac(HMACKey(from: String(repeating: "k", count: 32)), .sha256))
        #expect(token.token(in: HTTPHeaders([("X-Age-Token", "Bearer abc.def.ghi")])) == "abc.def.ghi")
        #expect(token.token(in: HTTPHeaders([("Cookie", "a=1"), ("cookie", "b=2; age=\"x.y.z\"")])) == "x.y.z")
        #expect(token.token(in: HTTPHeaders([("Cookie", "page_age=1; ages=2")])) == nil)
    }
}

/// base64url without padding, as JWS segments are written.
private enum GeoTestsBase64 {
    static func url(_ text: String) -> String { url(Data(text.utf8)) }
    static func url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
