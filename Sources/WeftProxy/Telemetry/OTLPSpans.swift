import Foundation
import WeftDiscovery
import WeftTelemetry

/// A batch of finished spans as OTLP's `ExportTraceServiceRequest`, as Envoy's OpenTelemetry tracer
/// sends them: one resource a service (`service.name`, the proxy's `<canonical service>.<namespace>`,
/// with `OTEL_RESOURCE_ATTRIBUTES` when the provider's environment detector is on), ids as bytes,
/// times in nanoseconds, every tag a string attribute, and an `error` tag the span's ERROR status.
enum OTLPSpans {
    static func request(_ spans: [ZipkinSpan], environmentResource: Bool,
                        environment: [String: String] = ProcessInfo.processInfo.environment) -> OTLPExportTraceServiceRequest {
        let detected = environmentResource ? resourceAttributes(environment["OTEL_RESOURCE_ATTRIBUTES"] ?? "") : []
        var byService: [String: [OTLPSpan]] = [:]
        var order: [String] = []
        for span in spans {
            let service = span.localEndpoint?.serviceName ?? "unknown"
            if byService[service] == nil { order.append(service) }
            byService[service, default: []].append(self.span(span))
        }
        var request = OTLPExportTraceServiceRequest()
        request.resourceSpans = order.map { service in
            var resource = OTLPResourceSpans()
            // The detected attributes first, the proxy's service name over any `service.name` among them.
            resource.resource.attributes = detected.filter { $0.key != "service.name" } + [attribute("service.name", service)]
            var scope = OTLPScopeSpans()
            scope.spans = byService[service] ?? []
            resource.scopeSpans = [scope]
            return resource
        }
        return request
    }

    static func span(_ span: ZipkinSpan) -> OTLPSpan {
        var otlp = OTLPSpan()
        otlp.traceID = traceID(span.traceID)
        otlp.spanID = spanID(span.id)
        if let parent = span.parentID { otlp.parentSpanID = spanID(parent) }
        otlp.name = span.name ?? ""
        switch span.kind {
        case .SERVER?: otlp.kind = .server
        case .CLIENT?: otlp.kind = .client
        case .PRODUCER?: otlp.kind = .producer
        case .CONSUMER?: otlp.kind = .consumer
        case nil: otlp.kind = .unspecified
        }
        otlp.startTimeUnixNano = UInt64(max(0, span.timestamp)) &* 1000
        otlp.endTimeUnixNano = UInt64(max(0, span.timestamp + span.duration)) &* 1000
        otlp.attributes = span.tags.map { attribute($0.0, $0.1) }
        if span.tags.contains(where: { $0.0 == "error" && $0.1 == "true" }) { otlp.status.code = .error }
        // W3C trace flags: sampled (a span is only finished for a sampled request).
        otlp.flags = 1
        return otlp
    }

    static func attribute(_ key: String, _ value: String) -> OTLPKeyValue {
        var pair = OTLPKeyValue()
        pair.key = key
        pair.value.stringValue = value
        return pair
    }

    /// A 128-bit id from 32 hex digits, a 64-bit one (16 or fewer) in the low half.
    static func traceID(_ hex: String) -> Data {
        guard let (high, low, _) = Hex.traceID(hex) else { return Data(count: 16) }
        return bigEndian(high) + bigEndian(low)
    }

    static func spanID(_ hex: String) -> Data {
        bigEndian(Hex.sixtyFour(hex) ?? 0)
    }

    private static func bigEndian(_ value: UInt64) -> Data {
        withUnsafeBytes(of: value.bigEndian) { Data($0) }
    }

    /// `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs, comma-separated, percent-encoded (the
    /// OpenTelemetry specification's environment resource detector); a malformed pair is skipped.
    static func resourceAttributes(_ text: String) -> [OTLPKeyValue] {
        text.split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, let decoded = value.removingPercentEncoding else { return nil }
            return attribute(key, decoded)
        }
    }
}
