/// The upload scanner's part of `/metrics`: scan durations by engine and result, and the quarantine.
enum UploadScanMetrics {
    static func render(_ scanner: UploadScanner, to out: inout PrometheusTextWriter) {
        let durations = scanner.scanDurations
        out.family("portcullis_upload_scan_duration_seconds", type: "histogram", help: "Time the scanning engine took per file (a form's parts are scanned one by one), by engine and result (clean, infected, not_scanned).")
        for (series, result) in UploadScanner.resultLabels.enumerated() where durations.total(series: series) > 0 {
            out.histogram("portcullis_upload_scan_duration_seconds", [("engine", scanner.engine.engineName), ("result", result)], durations, series: series)
        }
        if let quarantine = scanner.quarantine {
            out.family("portcullis_upload_quarantined_total", type: "counter", help: "Blocked files kept in the quarantine directory.")
            out.sample("portcullis_upload_quarantined_total", [], quarantine.storedCount)
            out.family("portcullis_upload_quarantine_evictions_total", type: "counter", help: "Quarantined files removed, oldest first, to keep the directory within its size cap.")
            out.sample("portcullis_upload_quarantine_evictions_total", [], quarantine.evictedCount)
        }
        #if ClamAVInProcess
        if let engine = scanner.engine as? ClamAVEngine {
            out.family("portcullis_clamav_signatures", type: "gauge", help: "Signatures in the libclamav engine in force.")
            out.sample("portcullis_clamav_signatures", [], engine.signatureCount)
            out.family("portcullis_clamav_engine_loads_total", type: "counter", help: "libclamav engines compiled since start (the first included): signature directories changed.")
            out.sample("portcullis_clamav_engine_loads_total", [], engine.engineGenerations)
        }
        #endif
    }
}
