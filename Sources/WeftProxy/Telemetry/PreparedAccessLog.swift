import WeftModel
import WeftTelemetry

/// One access log of a listener ready for requests: its format parsed, its file open, its filter
/// compiled. Made once per configuration version; a format or file the proxy cannot use is
/// refused when the listeners arrive (`ConfigurationAssembler`), so the reason goes back as a NACK.
struct PreparedAccessLog: Sendable {
    let format: AccessLogFormat
    let sink: AccessLogSink
    let filter: AccessLogFilter?

    /// Why a listener's access log cannot be used.
    struct Unusable: Error, CustomStringConvertible { var description: String }

    init(_ config: AccessLogConfig, files: AccessLogFiles) throws(Unusable) {
        do {
            format = try AccessLogFormat.mesh(encoding: config.encoding == .json ? "JSON" : "TEXT", format: config.format)
        } catch {
            throw Unusable(description: "access log \(config.path): \(error.description)")
        }
        do {
            filter = try config.filter.map { (expression: String) throws(AccessLogFilter.Unsupported) in try AccessLogFilter(expression) }
        } catch {
            throw Unusable(description: "access log \(config.path): filter: \(error.description)")
        }
        do {
            sink = try files.sink(config.path)
        } catch {
            throw Unusable(description: error.description)
        }
    }
}
