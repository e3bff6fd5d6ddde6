import WeftAPI
import WeftModel

/// The mesh at one configuration revision with the workloads registered at that moment: the whole
/// registry and its endpoint index (service port → endpoints), built once and shared by every
/// proxy's view. A new revision or a registration change builds the next one.
public struct MeshState: Sendable {
    public let snapshot: MeshSnapshot
    public let registry: ServiceRegistry
    /// Endpoints of every service port, keyed `host|port`.
    public let endpoints: [String: [ServiceEndpoint]]

    /// The effective MeshConfig: the snapshot's, unless given (simulations).
    public let meshConfig: MeshConfig
    /// The key sets fetched from RequestAuthentication `jwksUri`s, by URI (the last good of each).
    public let jwks: [String: String]
    /// The control plane's own Zipkin collector (`host:port` of its API), where spans go when
    /// MeshConfig names no tracer address; nil before the API is bound.
    public let builtInCollector: String?

    public init(snapshot: MeshSnapshot, registered: [WorkloadInstance] = [], meshConfig: MeshConfig? = nil, jwks: [String: String] = [:],
                builtInCollector: String? = nil) {
        self.snapshot = snapshot
        self.builtInCollector = builtInCollector
        self.jwks = jwks
        self.meshConfig = meshConfig ?? snapshot.index.meshConfig
        let index = snapshot.index
        let registry = ServiceRegistry(services: index.services, workloads: index.workloads + registered)
        var endpoints: [String: [ServiceEndpoint]] = [:]
        for service in registry.services {
            for port in service.ports { endpoints["\(service.hostname)|\(port.number)"] = registry.endpoints(of: service, port: port.number) }
        }
        self.registry = registry
        self.endpoints = endpoints
    }

    public var index: ConfigIndex { snapshot.index }
    public var revision: Int64 { snapshot.revision }

    public static let empty = MeshState(snapshot: .empty)
}
