import WeftAPI

/// What an analyzer reads: the input's resources by kind, lookups, and Istio's host rules.
public struct AnalysisContext: Sendable {
    public let input: AnalysisInput
    private let byKind: [String: [AnalyzedResource]]

    public init(_ input: AnalysisInput) {
        self.input = input
        byKind = Dictionary(grouping: input.resources, by: \.kind)
    }

    public var meshConfig: MeshConfig { input.meshConfig }
    public var rootNamespace: String { input.meshConfig.rootNamespace ?? "istio-system" }

    /// Every resource of a kind, in input order, with its typed value.
    public func all<T: APIResource>(_ type: T.Type) -> [(AnalyzedResource, T)] {
        (byKind[T.resourceType.kind] ?? []).compactMap { entry in (entry.resource as? T).map { (entry, $0) } }
    }

    public func find<T: APIResource>(_ type: T.Type, namespace: String, name: String) -> (AnalyzedResource, T)? {
        all(type).first { $0.0.namespace == namespace && $0.0.name == name }
    }

    public func exists<T: APIResource>(_ type: T.Type, namespace: String, name: String) -> Bool {
        find(type, namespace: namespace, name: name) != nil
    }

    public var pods: [(AnalyzedResource, Pod)] { all(Pod.self) }
    public var namespaces: [(AnalyzedResource, Namespace)] { all(Namespace.self) }

    public func namespaceLabels(_ name: String) -> [String: String] {
        namespaces.first { $0.0.name == name }?.0.labels ?? [:]
    }
}

/// Label selectors from a `matchLabels` map, matched and printed as Kubernetes does.
public struct LabelMatcher: Sendable, Hashable {
    public var labels: [String: String]

    public init(_ labels: [String: String]?) { self.labels = labels ?? [:] }

    public func matches(_ candidate: [String: String]) -> Bool {
        labels.allSatisfy { candidate[$0.key] == $0.value }
    }

    /// `k1=v1,k2=v2`, keys sorted; "" for an empty selector.
    public var description: String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// Istio's host helpers for analysis: short names become `name.namespace.svc.cluster.local`.
public enum MeshHosts {
    public static let kubernetesDomain = "svc.cluster.local"

    public static func fqdn(_ host: String, namespace: String) -> String {
        if host.hasPrefix("*") || host.contains(".") { return host }
        return "\(host).\(namespace).\(kubernetesDomain)"
    }

    /// `name.namespace.svc.cluster.local` split into (namespace, name), or nil.
    public static func fullName(fromFQDN host: String) -> (namespace: String, name: String)? {
        let suffix = "." + kubernetesDomain
        guard host.hasSuffix(suffix) else { return nil }
        let rest = host.dropLast(suffix.count)
        guard let dot = rest.lastIndex(of: "."), dot != rest.startIndex, rest.index(after: dot) != rest.endIndex else { return nil }
        return (String(rest[rest.index(after: dot)...]), String(rest[..<dot]))
    }

    /// The (namespace, name) a destination host refers to, short names in `defaultNamespace`.
    public static func resourceName(fromHost host: String, defaultNamespace: String) -> (namespace: String, name: String) {
        fullName(fromFQDN: host) ?? (defaultNamespace, host)
    }

    /// A reference `ns/name` or `name` (in `namespace`).
    public static func shortOrFullName(_ reference: String, namespace: String) -> (namespace: String, name: String) {
        let parts = reference.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
        return (namespace, reference)
    }

    public static func scoped(_ scope: String, namespace: String, host: String) -> String {
        "\(scope)/\(fqdn(host, namespace: namespace))"
    }
}

/// How Go's `%v` prints a list of strings: `[a b c]`.
func goList(_ items: [String]) -> String { "[" + items.joined(separator: " ") + "]" }
