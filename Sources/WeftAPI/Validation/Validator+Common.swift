import Foundation

extension Validator {
    /// Istio's duration rule: at least 1 ms and no finer than a millisecond. `allowZero` is for
    /// route timeouts, where `0s` means "no timeout".
    public mutating func validateDuration(_ duration: IstioDuration?, _ path: FieldPath, allowZero: Bool = false) {
        guard let duration else { return }
        if duration.nanoseconds == 0 && allowZero { return }
        if duration.nanoseconds < 1_000_000 {
            error(path, "duration must be at least 1ms (got \(duration))")
        } else if duration.nanoseconds % 1_000_000 != 0 {
            error(path, "only durations to ms precision are supported (got \(duration))")
        }
    }

    public mutating func validatePort(_ port: Int?, _ path: FieldPath) {
        guard let port else { return }
        if !Names.isPort(port) { error(path, "port number \(port) must be in the range 1..65535") }
    }

    /// Istio's `Percent`: 0, or between 0.0001 and 100.
    public mutating func validatePercentage(_ percent: Percent?, _ path: FieldPath) {
        guard let value = percent?.value else { return }
        if value < 0 || value > 100 || (value > 0 && value < 0.0001) {
            error(path / "value", "percentage \(value) is neither 0 nor in the range [0.0001, 100]")
        }
    }

    public mutating func validatePercent(_ value: Int?, _ path: FieldPath) {
        guard let value else { return }
        if value < 0 || value > 100 { error(path, "percentage \(value) is not in the range 0..100") }
    }

    public mutating func validateNonNegative(_ value: Int?, _ path: FieldPath) {
        guard let value else { return }
        if value < 0 { error(path, "must not be negative (got \(value))") }
    }

    /// A workload selector: no empty keys, no wildcards; an empty one selects everything (a warning).
    public mutating func validateWorkloadSelector(_ selector: WorkloadSelector?, _ path: FieldPath) {
        guard let selector else { return }
        let labels = selector.matchLabels ?? [:]
        if labels.isEmpty {
            warning(path, "workload selector specified without labels: it applies to every workload in the namespace")
        }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty { error(path / "matchLabels", "empty key is not supported in selector") }
            if key.contains("*") || value.contains("*") {
                error(path / "matchLabels" / key, "wildcard is not supported in selector: \"\(key)=\(value)\"")
            }
        }
        validateLabels(selector.matchLabels, path / "matchLabels")
    }

    /// `selector`, `targetRef` and `targetRefs` are mutually exclusive; a targetRef names a Service,
    /// ServiceEntry or Kubernetes Gateway in the policy's own namespace.
    public mutating func validatePolicyTarget(selector: WorkloadSelector?, targetRef: PolicyTargetReference?, targetRefs: [PolicyTargetReference]?, _ path: FieldPath) {
        let set = [selector != nil, targetRef != nil, !(targetRefs ?? []).isEmpty].filter { $0 }.count
        if set > 1 { error(path / "targetRefs", "only one of targetRefs or selector can be set") }
        validateWorkloadSelector(selector, path / "selector")
        if let targetRef { validateTargetRef(targetRef, path / "targetRef") }
        each(targetRefs, path / "targetRefs") { validator, ref, refPath in validator.validateTargetRef(ref, refPath) }
    }

    private mutating func validateTargetRef(_ ref: PolicyTargetReference, _ path: FieldPath) {
        if (ref.name ?? "").isEmpty { error(path / "name", "targetRef name must be set") }
        if !(ref.namespace ?? "").isEmpty {
            error(path / "namespace", "targetRef namespace must not be set; cross namespace referencing is not supported")
        }
        let group = ref.group ?? ""
        let allowed = [("", "Service"), ("networking.istio.io", "ServiceEntry"), ("gateway.networking.k8s.io", "Gateway")]
        if !allowed.contains(where: { $0.0 == group && $0.1 == ref.kind }) {
            error(path / "kind", "targetRef must be a Service, a ServiceEntry (networking.istio.io) or a Gateway (gateway.networking.k8s.io), not \(group.isEmpty ? "core" : group)/\(ref.kind ?? "")")
        }
    }

    /// `exportTo`: `.`, `*`, `~` (ServiceEntry only) or namespace names, without duplicates.
    public mutating func validateExportTo(_ exportTo: [String]?, _ path: FieldPath, isServiceEntry: Bool = false, hasWorkloadSelector: Bool = false) {
        guard let exportTo, !exportTo.isEmpty else { return }
        var seen: Set<String> = []
        for (index, entry) in exportTo.enumerated() {
            let key = entry == "." ? namespace : entry
            if seen.contains(key) {
                error(path / index, key != entry ? "duplicate entries in exportTo: . and current namespace \(namespace)" : "duplicate entries in exportTo for entry \(entry)")
                continue
            }
            if entry == "~" && !isServiceEntry {
                error(path / index, "exportTo \"~\" (no one) is only allowed on ServiceEntry")
            } else if entry != "*" && entry != "~" && !Names.isDNS1123Label(key) {
                error(path / index, "exportTo \"\(entry)\" must be \".\", \"*\" or a namespace name")
            }
            seen.insert(key)
        }
        if seen.contains("*") && exportTo.count > 1 {
            error(path, "cannot have both public (*) and non-public exportTo values for a resource")
        }
        if seen.contains("~") && exportTo.count > 1 {
            error(path, "cannot export service entry to no one (~) and someone")
        }
        if hasWorkloadSelector {
            if !seen.contains(namespace) {
                error(path, "destination rule with workload selector cannot have exportTo beyond current namespace")
            } else if seen.count > 1 {
                error(path, "destination rule with workload selector cannot have multiple entries in exportTo")
            }
        }
    }

    /// An RE2 regular expression as Envoy compiles it.
    public mutating func validateRegex(_ pattern: String?, _ path: FieldPath) {
        guard let pattern else { return }
        if pattern.isEmpty { error(path, "regex must not be empty"); return }
        if let problem = RE2Syntax.problem(in: pattern) { error(path, problem) }
    }

    /// A StringMatch: exactly one of exact, prefix, regex (or none, meaning "present"); regexes compile.
    public mutating func validateStringMatch(_ match: StringMatch?, _ path: FieldPath, allowEmpty: Bool = true) {
        guard let match else { return }
        let set = [match.exact != nil, match.prefix != nil, match.regex != nil].filter { $0 }.count
        if set > 1 { error(path, "only one of exact, prefix or regex may be set") }
        if set == 0 && !allowEmpty { error(path, "one of exact, prefix or regex is required") }
        if let prefix = match.prefix, prefix.isEmpty { error(path / "prefix", "prefix string match should not be empty") }
        validateRegex(match.regex, path / "regex")
    }

    /// Istio's port protocol names (case-insensitive); empty means "detect".
    public mutating func validateProtocol(_ name: String?, _ path: FieldPath) {
        guard let name, !name.isEmpty else { return }
        if !Protocols.isKnown(name) {
            error(path, "unsupported protocol \"\(name)\"; supported protocols are \(Protocols.names.joined(separator: ", "))")
        }
    }

    /// Port names are DNS-1123 labels.
    public mutating func validatePortName(_ name: String?, _ path: FieldPath) {
        guard let name else { return }
        if !Names.isDNS1123Label(name) { error(path, "invalid port name \"\(name)\": must be a DNS-1123 label") }
    }
}

/// Istio's port protocol names and what each implies.
public enum Protocols {
    public static let names = ["HTTP", "HTTPS", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB", "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL", "THRIFT", "HBONE"]

    public static func isKnown(_ name: String) -> Bool { names.contains(name.uppercased()) }
    public static func isHTTP(_ name: String?) -> Bool { ["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"].contains((name ?? "").uppercased()) }
    public static func isTLS(_ name: String?) -> Bool { ["HTTPS", "TLS"].contains((name ?? "").uppercased()) }
    public static func isTCP(_ name: String?) -> Bool { !isHTTP(name) && !isTLS(name) && (name ?? "").uppercased() != "UDP" }
}
