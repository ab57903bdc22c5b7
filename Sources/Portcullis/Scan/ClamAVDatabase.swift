#if ClamAVInProcess
import CClamAV
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One compiled libclamav engine: the signatures of some directories, loaded and compiled once.
/// Scans hold a reference while they run; the engine is freed when the last one lets go (so a
/// reload never pulls an engine from under a scan).
final class ClamAVDatabase: @unchecked Sendable {  // cl_engine is safe for concurrent scans once compiled
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    private let engine: OpaquePointer
    let signatureCount: Int

    /// libclamav's global initialisation, once per process.
    private static let initialised: cl_error_t = cl_init(portcullis_cl_init_default)

    /// Blocking (reads and compiles the databases): call off the event loops.
    init(directories: [String], config: ScannerConfig) throws {
        guard Self.initialised == CL_SUCCESS else { throw LoadError(description: "cl_init failed: \(String(cString: cl_strerror(Self.initialised)))") }
        guard let engine = cl_engine_new() else { throw LoadError(description: "cl_engine_new failed") }
        var signatures: UInt32 = 0
        for directory in directories {
            let status = cl_load(directory, engine, &signatures, portcullis_cl_db_stdopt)
            guard status == CL_SUCCESS else {
                cl_engine_free(engine)
                throw LoadError(description: "cannot load signatures from \(directory): \(String(cString: cl_strerror(status)))")
            }
        }
        let limits: [(cl_engine_field, Int)] = [
            (CL_ENGINE_MAX_FILESIZE, config.maxFileSize), (CL_ENGINE_MAX_SCANSIZE, config.maxScanSize),
            (CL_ENGINE_MAX_RECURSION, config.maxRecursion), (CL_ENGINE_MAX_FILES, config.maxFiles),
        ]
        for (field, value) in limits { _ = cl_engine_set_num(engine, field, Int64(value)) }
        let compiled = cl_engine_compile(engine)
        guard compiled == CL_SUCCESS else {
            cl_engine_free(engine)
            throw LoadError(description: "cannot compile the signatures: \(String(cString: cl_strerror(compiled)))")
        }
        self.engine = engine
        self.signatureCount = Int(signatures)
    }

    deinit {
        cl_engine_free(engine)
    }

    /// Archives and documents are parsed (every parser on); files over the limits are reported
    /// as `Heuristics.Limits.Exceeded.*` instead of passing as clean.
    private static func options() -> cl_scan_options {
        var options = cl_scan_options()
        options.general = portcullis_cl_scan_general_heuristics
        options.parse = portcullis_cl_scan_parse_all
        options.heuristic = portcullis_cl_scan_heuristic_exceeds_max
        return options
    }

    func scan(_ content: ScanContent, name: String?) -> ScanResult {
        var options = Self.options()
        var virusName: UnsafePointer<CChar>?
        var scanned: UInt = 0
        let status: cl_error_t
        switch content {
        case .bytes(let buffer):
            status = buffer.withUnsafeReadableBytes { bytes -> cl_error_t in
                guard let base = bytes.baseAddress, let map = cl_fmap_open_memory(base, bytes.count) else { return CL_EMEM }
                defer { cl_fmap_close(map) }
                return cl_scanmap_callback(map, name, &virusName, &scanned, engine, &options, nil)
            }
        case .file(let path, let size):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return .notScanned(reason: "cannot open the spooled body: \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            // A map of our own without aging (libclamav keeps every page it read until the scan
            // ends) instead of cl_scandesc's, which ages pages out past 4-8 MiB and reads them
            // again: 20 MiB of text scanned in 28 ms instead of 42 (scripts/bench-uploads). It
            // costs the file's size in memory while the scan runs, at most max_file_size.
            status = withUnsafePointer(to: descriptor) { handle -> cl_error_t in
                guard let map = cl_fmap_open_handle(UnsafeMutableRawPointer(mutating: handle), 0, size, descriptorRead, 0) else { return CL_EMEM }
                defer { cl_fmap_close(map) }
                return cl_scanmap_callback(map, name, &virusName, &scanned, engine, &options, nil)
            }
        }
        switch status {
        case CL_CLEAN:
            return .clean
        case CL_VIRUS:
            return .fromSignature(virusName.map { String(cString: $0) } ?? "unknown")
        case CL_EMAXSIZE, CL_EMAXREC, CL_EMAXFILES:
            return .notScanned(reason: "over the scanner's limits (\(String(cString: cl_strerror(status))))")
        default:
            return .notScanned(reason: "libclamav failed: \(String(cString: cl_strerror(status)))")
        }
    }
}

/// libclamav's pread for a spool file (`handle` points at its descriptor).
private let descriptorRead: clcb_pread = { handle, buffer, count, offset in
    guard let handle, let buffer else { return -1 }
    return off_t(pread(handle.load(as: CInt.self), buffer, count, offset))
}
#endif
