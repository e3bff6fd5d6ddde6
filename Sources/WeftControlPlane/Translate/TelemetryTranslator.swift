import Foundation
import WeftAPI
import WeftModel
import WeftTelemetry

/// Istio's Telemetry API for one proxy: the Telemetry resources that apply to it (mesh-wide in
/// the root namespace, its namespace's, then those selecting it), each more specific one
/// overriding what it sets, as Istio merges them; then the providers they name, from MeshConfig's
/// `extensionProviders` (zipkin, envoyFileAccessLog, prometheus) or Istio's built-in `envoy`
/// access log. Without a Telemetry resource, MeshConfig's own settings stand (TracingTranslator,
/// `accessLogFile`).
public enum TelemetryTranslator {
    /// What a proxy's listeners carry.
    public struct Settings: Sendable, Hashable {
        public var tracing: TracingConfig?
        public var accessLogs: [AccessLogConfig]
        public var metrics: MetricsOverridesConfig?
    }

    /// The Telemetry resources of `proxy`, least specific first.
    static func applicable(_ telemetries: [Telemetry], proxy: ProxyIdentity, rootNamespace: String, services: [MeshService]) -> [Telemetry] {
        func targeted(_ telemetry: Telemetry) -> Bool {
            !(telemetry.spec.targetRefs ?? []).isEmpty || telemetry.spec.targetRef != nil || !(telemetry.spec.selector?.matchLabels ?? [:]).isEmpty
        }
        let mesh = telemetries.filter { $0.namespace == rootNamespace && !targeted($0) }.prefix(1)
        let namespace = proxy.namespace == rootNamespace ? [] : telemetries.filter { $0.namespace == proxy.namespace && !targeted($0) }.prefix(1)
        let workload = telemetries.filter { telemetry in
            targeted(telemetry) && telemetry.namespace == proxy.namespace
                && WorkloadPolicyScope.applies(namespace: telemetry.namespace, selector: telemetry.spec.selector,
                                               targetRefs: (telemetry.spec.targetRefs ?? []) + (telemetry.spec.targetRef.map { [$0] } ?? []),
                                               to: proxy, rootNamespace: rootNamespace, services: services)
        }.prefix(1)
        return Array(mesh) + Array(namespace) + Array(workload)
    }

    /// MeshConfig with the proxy's own `proxy.istio.io/config` annotation (its Deployment's pod
    /// template) over `defaultConfig`'s tracing, as Istio merges a pod's ProxyConfig; the Telemetry
    /// API still overrides both.
    static func withProxyConfigAnnotation(_ meshConfig: MeshConfig, _ annotations: [(namespace: String, labels: [String: String], config: MeshProxyConfig)],
                                          proxy: ProxyIdentity) -> MeshConfig {
        guard let own = annotations.first(where: { $0.namespace == proxy.namespace && $0.labels.allSatisfy { proxy.labels[$0.key] == $0.value } })?.config,
              let tracing = own.tracing else { return meshConfig }
        var merged = meshConfig
        var defaults = merged.defaultConfig ?? MeshProxyConfig()
        var base = defaults.tracing ?? MeshProxyConfig.Tracing()
        if let sampling = tracing.sampling { base.sampling = sampling }
        if let zipkin = tracing.zipkin { base.zipkin = zipkin }
        if let length = tracing.maxPathTagLength { base.maxPathTagLength = length }
        if let tags = tracing.customTags { base.customTags = (base.customTags ?? [:]).merging(tags) { $1 } }
        defaults.tracing = base
        merged.defaultConfig = defaults
        return merged
    }

    /// The settings of one traffic direction: entries whose `match.mode` names the other are left out.
    public static func settings(_ telemetries: [Telemetry], mode: TelemetrySpec.WorkloadMode, meshConfig: MeshConfig, builtInCollector: String?) -> Settings {
        func applies(_ wanted: TelemetrySpec.WorkloadMode?) -> Bool {
            guard let wanted, wanted != .CLIENT_AND_SERVER else { return true }
            return wanted == mode
        }
        let telemetries = telemetries.map { telemetry -> Telemetry in
            var filtered = telemetry
            filtered.spec.tracing = telemetry.spec.tracing?.filter { applies($0.match?.mode) }
            filtered.spec.accessLogging = telemetry.spec.accessLogging?.filter { applies($0.match?.mode) }
            filtered.spec.metrics = telemetry.spec.metrics?.map { metrics in
                var kept = metrics
                kept.overrides = metrics.overrides?.filter { applies($0.match?.mode) }
                return kept
            }
            return filtered
        }
        let legacyTracing = TracingTranslator.tracing(meshConfig: meshConfig, builtInCollector: builtInCollector)
        let legacyLogs = ProxyViewBuilder.meshAccessLogs(meshConfig)
        return Settings(tracing: tracing(telemetries, meshConfig: meshConfig, legacy: legacyTracing, builtInCollector: builtInCollector),
                        accessLogs: accessLogs(telemetries, meshConfig: meshConfig, legacy: legacyLogs), metrics: metrics(telemetries))
    }

    /// Each level's first `tracing` entry overrides the providers, sampling percentage, span
    /// reporting and custom tags it sets.
    static func tracing(_ telemetries: [Telemetry], meshConfig: MeshConfig, legacy: TracingConfig?, builtInCollector: String?) -> TracingConfig? {
        let entries = telemetries.compactMap { $0.spec.tracing?.first }
        guard !entries.isEmpty else { return legacy }
        var providers: [String]? = meshConfig.defaultProviders?.tracing
        var sampling: Double?
        var disableReporting: Bool?
        var customTags: [String: TelemetrySpec.Tracing.CustomTag] = [:]
        for entry in entries {
            if let names = entry.providers?.compactMap(\.name), !names.isEmpty { providers = names }
            if let percent = entry.randomSamplingPercentage { sampling = percent }
            if let disabled = entry.disableSpanReporting { disableReporting = disabled }
            for (name, tag) in entry.customTags ?? [:] { customTags[name] = tag }
        }
        var config: TracingConfig
        if let name = providers?.first {
            guard let collector = spanCollector(provider: name, meshConfig: meshConfig) else { return nil }
            config = legacy ?? TracingConfig(collector: collector, sampling: TracingTranslator.defaultSampling)
            config.collector = collector
            let body = provider(name, meshConfig).flatMap { $0.zipkin ?? $0.opentelemetry }
            if let length = body?["maxTagLength"].flatMap(Self.int), length > 0 { config.maxPathTagLength = length }
        } else {
            // No provider named: the MeshConfig tracer (or the built-in collector).
            guard let base = legacy ?? builtInCollector.map({ TracingConfig(zipkinAddress: $0, sampling: TracingTranslator.defaultSampling) }) else { return nil }
            config = base
        }
        if let sampling { config.sampling = sampling }
        if let disableReporting { config.disableSpanReporting = disableReporting }
        for (name, tag) in customTags.sorted(by: { $0.key < $1.key }) {
            config.customTags.removeAll { $0.name == name }
            if let literal = tag.literal?.value { config.customTags.append(.init(name: name, source: .literal(literal))) }
            else if let header = tag.header?.name { config.customTags.append(.init(name: name, source: .header(header.lowercased()), defaultValue: tag.header?.defaultValue)) }
            else if let variable = tag.environment?.name { config.customTags.append(.init(name: name, source: .environment(variable), defaultValue: tag.environment?.defaultValue)) }
        }
        return config
    }

    /// Each level's first `accessLogging` entry overrides the providers, `disabled` and the filter.
    static func accessLogs(_ telemetries: [Telemetry], meshConfig: MeshConfig, legacy: [AccessLogConfig]) -> [AccessLogConfig] {
        let entries = telemetries.compactMap { $0.spec.accessLogging?.first }
        guard !entries.isEmpty else { return legacy }
        var providers: [String]? = meshConfig.defaultProviders?.accessLogging
        var disabled = false
        var filter: String?
        for entry in entries {
            if let names = entry.providers?.compactMap(\.name), !names.isEmpty { providers = names }
            if let value = entry.disabled { disabled = value }
            if let expression = entry.filter?.expression { filter = expression.isEmpty ? nil : expression }
        }
        guard !disabled else { return [] }
        let encoding: AccessLogConfig.Encoding = meshConfig.accessLogEncoding == .JSON ? .json : .text
        guard let names = providers, !names.isEmpty else {
            // No provider: Istio's built-in `envoy` logger, as MeshConfig's file or the proxy's output.
            let base = legacy.first ?? AccessLogConfig(path: "/dev/stdout", encoding: encoding, format: meshConfig.accessLogFormat ?? "")
            return [AccessLogConfig(path: base.path, encoding: base.encoding, format: base.format, filter: filter)]
        }
        return names.compactMap { name -> AccessLogConfig? in
            if name == "envoy" {
                return AccessLogConfig(path: meshConfig.accessLogFile.flatMap { $0.isEmpty ? nil : $0 } ?? "/dev/stdout", encoding: encoding,
                                       format: meshConfig.accessLogFormat ?? "", filter: filter)
            }
            if let otel = provider(name, meshConfig)?.envoyOtelAls {
                return otelAccessLog(otel, filter: filter)
            }
            guard let file = provider(name, meshConfig)?.envoyFileAccessLog else { return nil }
            let path = file["path"]?.stringValue ?? "/dev/stdout"
            if let labels = file["logFormat"]?["labels"], case .object(let fields) = labels {
                let object = fields.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value.stringValue ?? ""))" }.joined(separator: ",")
                return AccessLogConfig(path: path, encoding: .json, format: "{\(object)}", filter: filter)
            }
            return AccessLogConfig(path: path, encoding: .text, format: file["logFormat"]?["text"]?.stringValue ?? "", filter: filter)
        }
    }

    /// An `envoyOtelAls` provider: records to `service:port` over OTLP/gRPC, the text format (Istio's
    /// default when none is given) their body, each of `logFormat.labels` an attribute, as Istio
    /// configures Envoy's OpenTelemetry access logger (its built-in labels off).
    static func otelAccessLog(_ otel: AnyValue, filter: String?) -> AccessLogConfig? {
        guard let service = otel["service"]?.stringValue, !service.isEmpty else { return nil }
        let address = "\(service):\(otel["port"].flatMap(int) ?? 4317)"
        var attributes: [OTLPLogTarget.Attribute] = []
        if case .object(let labels)? = otel["logFormat"]?["labels"] {
            attributes = labels.sorted { $0.key < $1.key }.map { OTLPLogTarget.Attribute(name: $0.key, format: $0.value.stringValue ?? "") }
        }
        let logName = otel["logName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "otel_envoy_accesslog"
        return AccessLogConfig(path: "otlp://\(address)", encoding: .text, format: otel["logFormat"]?["text"]?.stringValue ?? "", filter: filter,
                               otlp: OTLPLogTarget(address: address, logName: logName, attributes: attributes))
    }

    /// Overrides accumulate from the mesh level to the workload's: `disabled` per metric (or all),
    /// tag overrides per metric.
    static func metrics(_ telemetries: [Telemetry]) -> MetricsOverridesConfig? {
        let overrides = telemetries.flatMap { ($0.spec.metrics ?? []).flatMap { $0.overrides ?? [] } }
        guard !overrides.isEmpty else { return nil }
        var config = MetricsOverridesConfig()
        var disabled: [String: Bool] = [:]
        for override in overrides {
            let metric = override.match?.metric ?? .ALL_METRICS
            if let value = override.disabled {
                if metric == .ALL_METRICS { disabled = [:]; config.disabled = value } else { disabled[metricName(metric)] = value }
            }
            for (tag, change) in (override.tagOverrides ?? [:]).sorted(by: { $0.key < $1.key }) {
                let name = metric == .ALL_METRICS ? nil : metricName(metric)
                config.tagOverrides.removeAll { $0.tag == tag && ($0.metric == name || name == nil) }
                config.tagOverrides.append(.init(metric: name, tag: tag, value: change.operation == .REMOVE ? nil : (change.value ?? "")))
            }
        }
        config.disabledMetrics = disabled.filter(\.value).keys.sorted()
        return config
    }

    /// Istio's metric names for the Telemetry API's selectors.
    static func metricName(_ metric: TelemetrySpec.Metrics.Override.IstioMetric) -> String {
        switch metric {
        case .ALL_METRICS: return "*"
        case .REQUEST_COUNT: return "istio_requests_total"
        case .REQUEST_DURATION: return "istio_request_duration_milliseconds"
        case .REQUEST_SIZE: return "istio_request_bytes"
        case .RESPONSE_SIZE: return "istio_response_bytes"
        case .TCP_OPENED_CONNECTIONS: return "istio_tcp_connections_opened_total"
        case .TCP_CLOSED_CONNECTIONS: return "istio_tcp_connections_closed_total"
        case .TCP_SENT_BYTES: return "istio_tcp_sent_bytes_total"
        case .TCP_RECEIVED_BYTES: return "istio_tcp_received_bytes_total"
        case .GRPC_REQUEST_MESSAGES: return "istio_request_messages_total"
        case .GRPC_RESPONSE_MESSAGES: return "istio_response_messages_total"
        }
    }

    static func provider(_ name: String, _ meshConfig: MeshConfig) -> MeshConfig.ExtensionProvider? {
        meshConfig.extensionProviders?.first { $0.name == name }
    }

    /// A zipkin provider's `service:port` (`jaeger-collector.observability.svc.cluster.local:9411`), or an
    /// opentelemetry provider's, with OTLP over HTTP when it has `http` (else gRPC, as Envoy's
    /// OpenTelemetry tracer); nil for a provider that is neither.
    static func spanCollector(provider name: String, meshConfig: MeshConfig) -> SpanCollector? {
        guard let body = provider(name, meshConfig) else { return nil }
        if let zipkin = body.zipkin {
            guard let service = zipkin["service"]?.stringValue, !service.isEmpty else { return nil }
            return .zipkin("\(service):\(zipkin["port"].flatMap(int) ?? 9411)")
        }
        guard let otel = body.opentelemetry, let service = otel["service"]?.stringValue, !service.isEmpty else { return nil }
        var collector = SpanCollector(address: "\(service):\(otel["port"].flatMap(int) ?? 4317)", protocol: .otlpGRPC)
        let transport = otel["http"] ?? otel["grpc"]
        if let http = otel["http"] {
            collector.protocol = .otlpHTTP
            if let path = http["path"]?.stringValue, !path.isEmpty { collector.path = path.hasPrefix("/") ? path : "/" + path }
        }
        let headers = otel["http"]?["headers"] ?? otel["grpc"]?["initialMetadata"] ?? otel["grpc"]?["initial_metadata"]
        if case .list(let entries)? = headers {
            collector.headers = entries.compactMap { entry in
                guard let name = entry["name"]?.stringValue, !name.isEmpty else { return nil }
                // `envValue`: read from the control plane's environment, as istiod reads it.
                let value = entry["value"]?.stringValue ?? (entry["envValue"]?.stringValue).flatMap { ProcessInfo.processInfo.environment[$0] } ?? ""
                return SpanCollector.Header(name: name.lowercased(), value: value)
            }
        }
        if let timeout = transport?["timeout"]?.stringValue, let duration = try? IstioDuration(parsing: timeout), duration.nanoseconds > 0 {
            collector.timeoutMs = Int(max(1, duration.nanoseconds / 1_000_000))
        }
        if case .object(let detectors)? = otel["resourceDetectors"] ?? otel["resource_detectors"], detectors["environment"] != nil {
            collector.environmentResource = true
        }
        return collector
    }

    static func int(_ value: AnyValue) -> Int? {
        switch value {
        case .int(let number): return number
        case .double(let number): return Int(exactly: number)
        case .string(let text): return Int(text)
        default: return nil
        }
    }

    static func jsonString(_ text: String) -> String {
        var out = ""
        JSONText.appendString(text, to: &out)
        return out
    }
}
