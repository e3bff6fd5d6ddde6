import WeftModel
import WeftTelemetry

/// One access log of a listener ready for requests: its format parsed, its file open (or its
/// OpenTelemetry collector's sink made), its filter compiled. Made once per configuration version;
/// a format or file the proxy cannot use is refused when the listeners arrive
/// (`ConfigurationAssembler`), so the reason goes back as a NACK.
struct PreparedAccessLog: Sendable {
    /// Where a request's record goes.
    enum Destination: Sendable {
        /// A line in a file.
        case file(AccessLogSink)
        /// An OTLP log record: `format` its body, each attribute's format its value.
        case collector(OTLPLogSink, attributes: [(name: String, format: AccessLogFormat)])
    }

    let format: AccessLogFormat
    let destination: Destination
    let filter: AccessLogFilter?

    /// Why a listener's access log cannot be used.
    struct Unusable: Error, CustomStringConvertible { var description: String }

    init(_ config: AccessLogConfig, files: AccessLogFiles) throws(Unusable) {
        do {
            // A record's body is the provider's text as written (Istio's default line when it gives none); a file's line ends in a newline.
            format = config.otlp != nil ? try AccessLogFormat.verbatim(config.format.isEmpty ? AccessLogFormat.istioTextTemplate : config.format)
                : try AccessLogFormat.mesh(encoding: config.encoding == .json ? "JSON" : "TEXT", format: config.format)
        } catch {
            throw Unusable(description: "access log \(config.path): \(error.description)")
        }
        do {
            filter = try config.filter.map { (expression: String) throws(AccessLogFilter.Unsupported) in try AccessLogFilter(expression) }
        } catch {
            throw Unusable(description: "access log \(config.path): filter: \(error.description)")
        }
        if let target = config.otlp {
            var attributes: [(name: String, format: AccessLogFormat)] = []
            for attribute in target.attributes {
                do {
                    attributes.append((attribute.name, try AccessLogFormat.verbatim(attribute.format)))
                } catch {
                    throw Unusable(description: "access log \(config.path): label \(attribute.name): \(error.description)")
                }
            }
            destination = .collector(files.collectors.sink(target), attributes: attributes)
            return
        }
        do {
            destination = .file(try files.sink(config.path))
        } catch {
            throw Unusable(description: error.description)
        }
    }
}
