import Foundation
import WeftDiscovery
import WeftTelemetry

/// A finished request as an OTLP log record, as Envoy's OpenTelemetry access logger writes it:
/// the request's start as its time, the body the provider's text format (Istio's default line when
/// it names none), each label an attribute, and the trace and span ids when the request is traced.
enum OTLPLogRecords {
    static func record(_ entry: AccessLogEntry, body: AccessLogFormat, attributes: [(name: String, format: AccessLogFormat)],
                       trace: TraceContext?) -> OTLPLogRecord {
        var record = OTLPLogRecord()
        let start = UInt64(max(0, entry.startTime.seconds)) &* 1_000_000_000 &+ UInt64(max(0, entry.startTime.nanoseconds))
        record.timeUnixNano = start
        record.observedTimeUnixNano = start
        record.body.stringValue = AccessLogFormatter.line(entry, format: body)
        record.attributes = attributes.map { OTLPSpans.attribute($0.name, AccessLogFormatter.line(entry, format: $0.format)) }
        if let trace {
            record.traceID = withUnsafeBytes(of: trace.traceIDHigh.bigEndian) { Data($0) } + withUnsafeBytes(of: trace.traceIDLow.bigEndian) { Data($0) }
            record.spanID = withUnsafeBytes(of: trace.spanID.bigEndian) { Data($0) }
            if trace.sampled == true { record.flags = 1 }
        }
        return record
    }
}
