import FuzzSupport
import NIOHTTP1
@testable import PortcullisFuzzed

/// The policy loader: any policy file either compiles or is refused with diagnostics placed inside
/// it. A compiled policy answers a few selections without crashing.
enum PolicyLoaderFuzz {
    static let file = "policies/fuzz.yaml"

    static func test(_ bytes: UnsafeRawBufferPointer) {
        let yaml = String(decoding: bytes, as: UTF8.self)
        do {
            let policies = try PolicyLoader.parse([PolicySource(file: file, text: yaml)], environment: ["ORIGIN": "https://app.example"])
            for target in ["/", "/api/x?y=1", "/static/a.css"] {
                _ = policies.headers.select(host: "app.example", target: target, method: .GET)
                _ = policies.cors.select(host: "app.example", path: Substring(target), method: .OPTIONS)
            }
        } catch {
            FuzzDiagnostics.requireInside(error.diagnostics, file: file, text: yaml)
        }
    }
}

@_cdecl("fuzz_policy_loader_main")
func fuzzMain(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc: argc, argv: argv, PolicyLoaderFuzz.test)
}
