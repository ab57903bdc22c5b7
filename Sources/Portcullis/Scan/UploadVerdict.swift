/// What checking one upload found: the first blocking finding wins (a signature over a refused
/// type over a file that could not be scanned).
public struct UploadVerdict: Sendable {
    public enum Finding: Sendable, Equatable {
        case clean
        case infected(signature: String, fileName: String?)
        case typeRefused(FileType, fileName: String?)
        /// Not (fully) scanned: the rule's `on_scanner_error` decides.
        case notScanned(reason: String)
        /// A multipart body the gateway could not take apart (refused: the application might).
        case malformed(String)
    }

    public struct Kept: Sendable {
        public var sha256: String
        public var path: String
        public var reason: String
    }

    public var finding: Finding
    /// Files kept in quarantine for this request.
    public var quarantined: [Kept] = []
    /// Files looked at (the parts of a form, or 1).
    public var files = 0

    public init(finding: Finding) {
        self.finding = finding
    }
}
