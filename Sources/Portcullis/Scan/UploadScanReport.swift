/// What the upload phase found about one request, for the access and audit logs. Written on the
/// request's event loop when the verdict arrives and read there when the exchange is recorded
/// (the scan itself only hands back a value), hence unchecked.
public final class UploadScanReport: @unchecked Sendable {
    public var decision: AccessLogDecision?
    public var quarantined: [UploadVerdict.Kept] = []

    public init() {}
}
