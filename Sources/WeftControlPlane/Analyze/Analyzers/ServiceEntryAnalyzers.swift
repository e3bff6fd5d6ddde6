import WeftAPI

/// IST0134: a ServiceEntry with TCP (or unset) ports needs addresses unless they are allocated.
struct ServiceEntryProtocolAddressesAnalyzer: Analyzer {
    let name = "serviceentry.Analyzer"
    let summary = "Checks the validity of ServiceEntry"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let metadata = context.meshConfig.defaultConfig?.proxyMetadata ?? [:]
        let autoAllocated = metadata["ISTIO_META_DNS_CAPTURE"] == "true" && metadata["ISTIO_META_DNS_AUTO_ALLOCATE"] == "true"
        var messages: [AnalysisMessage] = []
        for (resource, entry) in context.all(ServiceEntry.self) {
            let allocated: Bool = {
                if case .list(let addresses)? = entry.status?["addresses"] { return !addresses.isEmpty }
                return false
            }()
            guard entry.spec.addresses == nil, !autoAllocated, !allocated else { continue }
            for port in entry.spec.ports ?? [] where (port.protocol ?? "").isEmpty || port.protocol?.uppercased() == "TCP" {
                messages.append(AnalysisMessage(Messages.serviceEntryAddressesRequired, resource, "ServiceEntry addresses are required for this protocol."))
            }
        }
        return messages
    }
}

/// IST0177: ServiceEntries visible in the same namespace that give one host and port different protocols.
struct ConflictingServiceEntryProtocolAnalyzer: Analyzer {
    let name = "serviceentry.ConflictingServiceEntryProtocolAnalyzer"
    let summary = "Checks that ServiceEntries for the same host and port agree on the protocol"

    private struct Claim {
        var resource: AnalyzedResource
        var scopes: Set<String>
        var `protocol`: String
    }

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var claims: [String: [Claim]] = [:]
        var order: [String] = []
        for (resource, entry) in context.all(ServiceEntry.self) {
            let exportTo = entry.spec.exportTo ?? []
            let scopes: Set<String> = exportTo.isEmpty || exportTo.contains("*") ? ["*"] : Set(exportTo.map { $0 == "." ? resource.namespace : $0 })
            for host in entry.spec.hosts ?? [] {
                for port in entry.spec.ports ?? [] {
                    guard let number = port.number else { continue }
                    let key = "\(host)|\(number)"
                    if claims[key] == nil { order.append(key) }
                    claims[key, default: []].append(Claim(resource: resource, scopes: scopes, protocol: (port.protocol ?? "").uppercased()))
                }
            }
        }
        var messages: [AnalysisMessage] = []
        var reported: Set<String> = []
        for key in order {
            let list = claims[key] ?? []
            let parts = key.split(separator: "|")
            for (index, claim) in list.enumerated() {
                let conflicting = list.enumerated().filter { other in
                    other.offset != index && other.element.protocol != claim.protocol
                        && (claim.scopes.contains("*") || other.element.scopes.contains("*") || !claim.scopes.isDisjoint(with: other.element.scopes))
                }.map(\.element)
                guard !conflicting.isEmpty, reported.insert("\(claim.resource.fullName)|\(key)").inserted else { continue }
                let group = [claim] + conflicting
                messages.append(AnalysisMessage(Messages.conflictingServiceEntryProtocol, claim.resource,
                    "Multiple ServiceEntries (\(group.map(\.resource.fullName).joined(separator: ", "))) define the same host \"\(parts[0])\" and port \(parts[1]) with conflicting protocols (\(group.map(\.protocol).joined(separator: ", ")))."))
            }
        }
        return messages
    }
}

/// IST0002: deprecated fields that still parse.
struct DeprecationAnalyzer: Analyzer {
    let name = "deprecation.DeprecationAnalyzer"
    let summary = "Checks for deprecated Istio types and fields"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for (resource, vs) in context.all(VirtualService.self) {
            for route in vs.spec.http ?? [] where (route.fault?.delay?.percent ?? 0) > 0 {
                messages.append(AnalysisMessage(Messages.deprecated, resource, "Deprecated: HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage"))
            }
        }
        for (resource, sidecar) in context.all(Sidecar.self) where sidecar.spec.outboundTrafficPolicy?.egressProxy != nil {
            messages.append(AnalysisMessage(Messages.deprecated, resource, "Deprecated: OutboundTrafficPolicy.EgressProxy ignored"))
        }
        return messages
    }
}

/// IST0106 for resources that fail validation, and IST0130/IST0131 for VirtualService rules and
/// matches no request can reach; one instance per kind, as istioctl names them.
struct SchemaValidationAnalyzer: Analyzer {
    var kind: String? = nil
    var name: String { kind.map { "schema.ValidationAnalyzer.\($0)" } ?? "schema.ValidationAnalyzer" }
    let summary = "Runs schema validation as an analyzer and reports any violations"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        // Documents of kinds Weft reads that did not decode (bad YAML, unknown fields, wrong types).
        for report in context.input.loadReports where report.resource == nil && (kind == nil || report.kind == kind) {
            guard let error = report.errors.first, !error.message.contains("not supported by Weft") else { continue }
            let ref = ResourceRef(kind: report.kind ?? "(unknown)", namespace: report.namespace ?? "", name: report.name ?? "", file: report.source.file)
            messages.append(AnalysisMessage(Messages.schemaValidationError, ref: ref, "Schema validation error: \(error.path): \(error.message)", line: error.line > 0 ? error.line : report.source.line))
        }
        for resource in context.input.resources where kind == nil || resource.kind == kind {
            var validator = Validator(namespace: resource.namespace)
            resource.resource.validate(into: &validator)
            for issue in validator.issues where issue.severity == .error {
                messages.append(AnalysisMessage(Messages.schemaValidationError, resource, "Schema validation error: \(issue.path): \(issue.message)"))
            }
            if let vs = resource.as(VirtualService.self) {
                for finding in vs.spec.reachabilityFindings() {
                    switch finding {
                    case .unreachableRule: messages.append(AnalysisMessage(Messages.virtualServiceUnreachableRule, resource, finding.text))
                    case .ineffectiveMatch: messages.append(AnalysisMessage(Messages.virtualServiceIneffectiveMatch, resource, finding.text))
                    }
                }
            }
        }
        return messages
    }
}
