import WeftTelemetry

extension TelemetrySpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        v.validatePolicyTarget(selector: selector, targetRef: targetRef, targetRefs: targetRefs, path)
        if (tracing ?? []).count > 1 { v.warning(path / "tracing", "multiple tracing is not currently supported") }
        v.each(tracing, path / "tracing") { v, tracing, tracingPath in
            if (tracing.providers ?? []).count > 1 { v.warning(tracingPath / "providers", "multiple providers is not currently supported") }
            v.validateProviderRefs(tracing.providers, tracingPath / "providers")
            if let percent = tracing.randomSamplingPercentage, percent < 0 || percent > 100 {
                v.error(tracingPath / "randomSamplingPercentage", "randomSamplingPercentage must be in range [0.0, 100.0]")
            }
            for (name, tag) in (tracing.customTags ?? [:]).sorted(by: { $0.key < $1.key }) {
                let tagPath = tracingPath / "customTags" / name
                if name.isEmpty { v.error(tagPath, "tag name may not be empty") }
                let kinds = [tag.literal != nil, tag.environment != nil, tag.header != nil].filter { $0 }.count
                if kinds != 1 { v.error(tagPath, "exactly one of literal, environment or header is required") }
                if let literal = tag.literal, (literal.value ?? "").isEmpty { v.error(tagPath / "literal" / "value", "literal tag value may not be empty") }
                if let header = tag.header, (header.name ?? "").isEmpty { v.error(tagPath / "header" / "name", "header tag name may not be empty") }
                if let environment = tag.environment, (environment.name ?? "").isEmpty { v.error(tagPath / "environment" / "name", "environment tag name may not be empty") }
            }
        }
        v.each(metrics, path / "metrics") { v, metrics, metricsPath in
            v.validateProviderRefs(metrics.providers, metricsPath / "providers")
            v.validateDuration(metrics.reportingInterval, metricsPath / "reportingInterval")
            v.each(metrics.overrides, metricsPath / "overrides") { v, override, overridePath in
                if let match = override.match {
                    if match.metric != nil && match.customMetric != nil { v.error(overridePath / "match", "only one of metric or customMetric may be set") }
                    if let custom = match.customMetric, custom.isEmpty { v.error(overridePath / "match" / "customMetric", "customMetric may not be empty") }
                }
                if !(override.tagOverrides ?? [:]).isEmpty {
                    v.warning(overridePath / "tagOverrides", "Weft's proxies do not apply tagOverrides yet: the metrics keep Istio's standard labels")
                }
                for (tag, edit) in (override.tagOverrides ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let tagPath = overridePath / "tagOverrides" / tag
                    if tag.isEmpty { v.warning(tagPath, "tagOverrides.name may not be empty") }
                    switch edit.operation ?? .UPSERT {
                    case .UPSERT where (edit.value ?? "").isEmpty:
                        v.error(tagPath / "value", "tagOverrides.value must be set when operation is UPSERT")
                    case .REMOVE where !(edit.value ?? "").isEmpty:
                        v.error(tagPath / "value", "tagOverrides.value may only be set when operation is UPSERT")
                    default:
                        break
                    }
                }
            }
        }
        v.each(accessLogging, path / "accessLogging") { v, logging, loggingPath in
            v.validateProviderRefs(logging.providers, loggingPath / "providers")
            if let filter = logging.filter, (filter.expression ?? "").isEmpty {
                v.error(loggingPath / "filter" / "expression", "filter expression may not be empty")
            } else if let expression = logging.filter?.expression {
                // The proxies evaluate the filter; one they cannot read would be refused by every proxy.
                do throws(AccessLogFilter.Unsupported) { _ = try AccessLogFilter(expression) } catch {
                    v.error(loggingPath / "filter" / "expression", "unsupported CEL expression: \(error.description)")
                }
            }
        }
    }
}

extension ProxyConfigSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        v.validateWorkloadSelector(selector, path / "selector")
        if let concurrency, concurrency < 0 { v.error(path / "concurrency", "concurrency must be greater than or equal to 0") }
        if let type = image?.imageType, !["default", "debug", "distroless"].contains(type) {
            v.error(path / "image" / "imageType", "imageType must be one of default, debug, distroless")
        }
    }
}

extension Validator {
    mutating func validateProviderRefs(_ providers: [TelemetrySpec.ProviderRef]?, _ path: FieldPath) {
        for (index, provider) in (providers ?? []).enumerated() where (provider.name ?? "").isEmpty {
            error(path / index / "name", "providers.name may not be empty")
        }
    }
}
