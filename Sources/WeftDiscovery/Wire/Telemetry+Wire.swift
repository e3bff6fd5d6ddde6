import WeftModel

extension Weft_Discovery_V1_AccessLog {
    public init(_ model: AccessLogConfig) {
        self.init()
        path = model.path
        json = model.encoding == .json
        format = model.format
        filter = model.filter ?? ""
        if let target = model.otlp {
            var wire = Weft_Discovery_V1_AccessLog.OTLP()
            wire.address = target.address
            wire.logName = target.logName
            wire.attributes = target.attributes.map { attribute in
                var field = Weft_Discovery_V1_AccessLog.OTLP.Attribute()
                field.name = attribute.name
                field.format = attribute.format
                return field
            }
            otlp = wire
        }
    }
}

extension AccessLogConfig {
    public init(wire: Weft_Discovery_V1_AccessLog) throws(WireError) {
        guard !wire.path.isEmpty else { throw WireError("access log without a path") }
        let otlp = wire.hasOtlp ? OTLPLogTarget(address: wire.otlp.address, logName: wire.otlp.logName,
                                                attributes: wire.otlp.attributes.map { OTLPLogTarget.Attribute(name: $0.name, format: $0.format) }) : nil
        self.init(path: wire.path, encoding: wire.json ? .json : .text, format: wire.format, filter: wire.filter.isEmpty ? nil : wire.filter, otlp: otlp)
    }
}

extension Weft_Discovery_V1_Tracing {
    public init(_ model: TracingConfig) {
        self.init()
        collectorAddress = model.collector.address
        switch model.collector.protocol {
        case .zipkin: collectorProtocol = .zipkin
        case .otlpGRPC: collectorProtocol = .otlpGrpc
        case .otlpHTTP: collectorProtocol = .otlpHTTP
        }
        otlpPath = model.collector.path
        collectorHeaders = model.collector.headers.map { header in
            var wire = Weft_Discovery_V1_Tracing.Header()
            wire.name = header.name
            wire.value = header.value
            return wire
        }
        collectorTimeoutMs = Int64(model: model.collector.timeoutMs ?? 0)
        environmentResource = model.collector.environmentResource
        sampling = model.sampling
        customTags = model.customTags.map { tag in
            var wire = Weft_Discovery_V1_Tracing.CustomTag()
            wire.name = tag.name
            switch tag.source {
            case .literal(let value): wire.literal = value
            case .header(let name): wire.header = name
            case .environment(let name): wire.environment = name
            }
            wire.defaultValue = tag.defaultValue ?? ""
            return wire
        }
        maxPathTagLength = Int32(model: model.maxPathTagLength)
        meshID = model.meshID
        disableSpanReporting = model.disableSpanReporting
    }
}

extension TracingConfig {
    public init(wire: Weft_Discovery_V1_Tracing) throws(WireError) {
        guard (0...100).contains(wire.sampling) else { throw WireError("tracing sampling \(wire.sampling) is outside 0..100") }
        let collectorProtocol: SpanCollector.Wire
        switch wire.collectorProtocol {
        case .zipkin: collectorProtocol = .zipkin
        case .otlpGrpc: collectorProtocol = .otlpGRPC
        case .otlpHTTP: collectorProtocol = .otlpHTTP
        case .UNRECOGNIZED(let value): throw WireError("tracing collector protocol \(value) is unknown")
        }
        let collector = SpanCollector(address: wire.collectorAddress, protocol: collectorProtocol, path: wire.otlpPath.isEmpty ? "/v1/traces" : wire.otlpPath,
                                      headers: wire.collectorHeaders.map { SpanCollector.Header(name: $0.name, value: $0.value) },
                                      timeoutMs: wire.collectorTimeoutMs > 0 ? Int(wire: wire.collectorTimeoutMs) : nil,
                                      environmentResource: wire.environmentResource)
        self.init(collector: collector, sampling: wire.sampling)
        var tags: [CustomTag] = []
        for tag in wire.customTags {
            let source: CustomTag.Source
            switch tag.value {
            case .literal(let value)?: source = .literal(value)
            case .header(let name)?: source = .header(name)
            case .environment(let name)?: source = .environment(name)
            case nil: throw WireError("custom tag \(tag.name) has no value")
            }
            tags.append(CustomTag(name: tag.name, source: source, defaultValue: tag.defaultValue.isEmpty ? nil : tag.defaultValue))
        }
        customTags = tags
        if wire.maxPathTagLength > 0 { maxPathTagLength = Int(wire: wire.maxPathTagLength) }
        if !wire.meshID.isEmpty { meshID = wire.meshID }
        disableSpanReporting = wire.disableSpanReporting
    }
}

extension Weft_Discovery_V1_MetricsOverrides {
    public init(_ model: MetricsOverridesConfig) {
        self.init()
        disabled = model.disabled
        disabledMetrics = model.disabledMetrics
        tagOverrides = model.tagOverrides.map { override in
            var wire = Weft_Discovery_V1_MetricsOverrides.TagOverride()
            wire.metric = override.metric ?? ""
            wire.tag = override.tag
            wire.remove = override.value == nil
            wire.value = override.value ?? ""
            return wire
        }
    }
}

extension MetricsOverridesConfig {
    public init(wire: Weft_Discovery_V1_MetricsOverrides) {
        self.init()
        disabled = wire.disabled
        disabledMetrics = wire.disabledMetrics
        tagOverrides = wire.tagOverrides.map { TagOverride(metric: $0.metric.isEmpty ? nil : $0.metric, tag: $0.tag, value: $0.remove ? nil : $0.value) }
    }
}
