/// Runs libFuzzer with a Swift closure as the test function. SwiftPM's debug link makes `main` an
/// alias of `<module>_main`, so each target defines that symbol and calls `run`; libFuzzer's own
/// `main` is not linked (scripts/fuzz links its no-main runtime).
public enum FuzzDriver {
    private static var body: ((UnsafeRawBufferPointer) -> Void)?

    public static func run(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: @escaping (UnsafeRawBufferPointer) -> Void) -> CInt {
        FuzzDriver.body = body
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzDriver.body?(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    }

    /// A broken invariant is a crash: libFuzzer keeps the input that caused it.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("invariant broken: \(message())") }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
