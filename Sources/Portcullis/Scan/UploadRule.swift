import NIOHTTP1

/// One compiled `uploads:` rule: which requests it covers and what their bodies must pass.
public struct UploadRule: PolicyRule {
    public enum ScannerErrorAction: String, Sendable {
        /// 503: nothing that was not scanned reaches the application (the default).
        case deny
        /// Forward it unscanned (logged and counted as scanner_error).
        case allow
    }

    public let common: PolicyRuleCommon
    public var name: String { common.name }
    public var match: PolicyMatch { common.match }
    public var isShadow: Bool { common.mode == .shadow }
    public let maxBytes: Int
    /// Types a file may be; empty: any type (scanned all the same).
    public let allowTypes: [FileType]
    public let scan: Bool
    public let onScannerError: ScannerErrorAction
    public let quarantine: Bool
    /// 403 by default; 422 allowed.
    public let blockedStatus: HTTPResponseStatus
    /// The signature name is told to the client in the problem's detail.
    public let showSignature: Bool

    public init(common: PolicyRuleCommon, maxBytes: Int, allowTypes: [FileType], scan: Bool, onScannerError: ScannerErrorAction,
                quarantine: Bool, blockedStatus: HTTPResponseStatus, showSignature: Bool) {
        self.common = common
        self.maxBytes = maxBytes
        self.allowTypes = allowTypes
        self.scan = scan
        self.onScannerError = onScannerError
        self.quarantine = quarantine
        self.blockedStatus = blockedStatus
        self.showSignature = showSignature
    }

    public func allows(_ type: FileType) -> Bool { allowTypes.isEmpty || allowTypes.contains(type) }
}
