import FuzzSupport
@testable import PortcullisFuzzed

/// The operator config loader: any text either loads or is refused with diagnostics, each placed
/// at a file:line:column inside the input; nothing crashes.
enum ConfigLoaderFuzz {
    static let file = "fuzz.yaml"
    static let environment = ["PORT": "8080", "UPSTREAM": "127.0.0.1:3000", "EMPTY": ""]

    static func test(_ bytes: UnsafeRawBufferPointer) {
        let yaml = String(decoding: bytes, as: UTF8.self)
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: file, environment: environment)
        } catch {
            FuzzDiagnostics.requireInside(error.diagnostics, file: file, text: yaml)
        }
    }
}

@_cdecl("fuzz_config_loader_main")
func fuzzMain(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc: argc, argv: argv, ConfigLoaderFuzz.test)
}
