import WeftAPI
import WeftControlPlane
import WeftModel
import WeftProxy

/// Istio-style simulation: YAML in, "a call from workload W to host H with headers X" out as the
/// route, cluster and endpoint the proxy would choose, using the real translators and the data
/// path's own outbound pipeline (`ListenerPipelines.routed`) over the configuration they make. Test support only; production targets never import it.
public struct Simulation {
    public let resources: [any APIResource]
    /// The mesh as the control plane's Snapshot stage builds it from these resources.
    public let state: MeshState
    public var registry: ServiceRegistry { state.registry }
    public var meshConfig: MeshConfig { state.meshConfig }

    /// Thrown when the YAML does not load cleanly.
    public struct LoadError: Error, CustomStringConvertible { public var description: String }

    public init(yaml: String, workloads: [WorkloadInstance] = [], meshConfig: MeshConfig = MeshConfig()) throws {
        let reports = ConfigLoader.load(text: yaml, file: "simulation.yaml")
        let invalid = reports.filter { !$0.isValid }
        guard invalid.isEmpty else {
            throw LoadError(description: invalid.flatMap { report in report.errors.map { report.describe($0) } }.joined(separator: "\n"))
        }
        var resources = reports.compactMap(\.resource)
        for index in resources.indices where resources[index].resourceType.namespaced {
            resources[index].metadata.namespace = resources[index].namespace
        }
        self.resources = resources
        var stored: [ResourceKey: StoredResource] = [:]
        for resource in resources {
            let entry = try StoredResource(resource: resource, resourceVersion: 1)
            stored[entry.key] = entry
        }
        self.state = MeshState(snapshot: MeshSnapshot(revision: 1, resources: stored), registered: workloads, meshConfig: meshConfig)
    }

    /// One proxy's view, as the control plane computes it.
    public func view(of proxy: ProxyIdentity) -> ProxyView {
        ProxyViewBuilder.build(proxy: proxy, state: state)
    }

    /// What the proxy decided for one request.
    public struct Result: Sendable, CustomStringConvertible {
        public var virtualHost: String?
        public var route: String?
        public var cluster: String?
        /// Every endpoint the load balancer may pick, `address:port`, sorted.
        public var endpoints: [String] = []
        /// The status the proxy answers itself, when it does (404 NR, 503 UH, 502, redirects).
        public var status: Int?
        /// Envoy's response flag, when the proxy answers itself.
        public var flag: String?

        public var description: String {
            "vhost=\(virtualHost ?? "-") route=\(route ?? "-") cluster=\(cluster ?? "-") endpoints=\(endpoints) status=\(status.map(String.init) ?? "-") flag=\(flag ?? "-")"
        }
    }

    /// The listeners a proxy is sent.
    public func listeners(for proxy: ProxyIdentity) -> [ListenerConfig] {
        ListenerTranslator.translate(view(of: proxy))
    }

    /// The clusters a proxy is sent, with the traffic policy in force for each.
    public func clusters(for proxy: ProxyIdentity) -> [ClusterConfig] {
        ClusterTranslator.translate(view(of: proxy))
    }

    /// The endpoints of one cluster as a proxy is sent them (locality priorities and weights included), by address.
    public func endpoints(for proxy: ProxyIdentity, cluster: String) -> [EndpointGroup.Endpoint] {
        let view = view(of: proxy)
        let groups = EndpointTranslator.translate(view, clusters: ClusterTranslator.translate(view))
        return (groups.first { $0.cluster == cluster }?.endpoints ?? []).sorted { $0.address < $1.address }
    }

    /// A call from a sidecar. `url` is what the app asks its HTTP proxy for (`http://reviews:9080/x`).
    /// `roll` picks among weighted destinations (0 ..< the weights' sum).
    public func call(from proxy: ProxyIdentity, _ url: String, method: String = "GET", headers: [(String, String)] = [], roll: Int = 0) -> Result {
        let (authority, path) = Self.split(url)
        return decide(view(of: proxy), table: "outbound", request: RequestAttributes(authority: authority, path: path, method: method, headers: headers), roll: roll)
    }

    /// A call arriving at a router (ingress gateway) on `port`.
    public func callGateway(_ router: ProxyIdentity, port: Int, _ url: String, method: String = "GET", headers: [(String, String)] = [], roll: Int = 0) -> Result {
        let view = view(of: router)
        guard let listener = ListenerTranslator.translate(view).first(where: { $0.port == port }), let table = listener.routeTable else {
            return Result(status: nil, flag: "no listener on \(port)")
        }
        let (authority, path) = Self.split(url)
        var request = RequestAttributes(authority: authority, path: path, method: method, headers: headers, defaultPort: port)
        request.port = port
        return decide(view, table: table, request: request, roll: roll)
    }

    /// Runs the proxy's outbound decision steps over the configuration the control plane would send.
    private func decide(_ view: ProxyView, table: String, request: RequestAttributes, roll: Int) -> Result {
        let configuration = ActiveConfiguration(ProxyConfigBuilder.build(view, version: "simulation"))
        var context = RequestContext(attributes: request, configuration: configuration, routeTable: table)
        context.weightRoll = roll
        let decision = ListenerPipelines.routed(balancer: LoadBalancerState()).decide(&context)
        var result = Result(virtualHost: context.virtualHost, route: context.route?.name, cluster: context.cluster)
        switch decision {
        case .forward(let upstream):
            result.cluster = upstream.cluster
            result.endpoints = upstream.cluster == "PassthroughCluster"
                ? ["\(upstream.host):\(upstream.port)"]
                : (configuration.endpoints[upstream.cluster] ?? []).map { "\($0.address):\($0.port)" }.sorted()
        case .respond(let response):
            result.status = response.status
            result.flag = response.flag.isEmpty || response.flag == LocalResponse.directResponse ? nil : response.flag
        }
        return result
    }

    private static func split(_ url: String) -> (String, String) {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        guard let slash = rest.firstIndex(of: "/") else { return (String(rest), "/") }
        return (String(rest[..<slash]), String(rest[slash...]))
    }
}
