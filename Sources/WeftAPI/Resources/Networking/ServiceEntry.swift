/// Istio's ServiceEntry: adds a service to the mesh's registry.
public typealias ServiceEntry = IstioObject<ServiceEntrySpec>

/// `networking.istio.io` ServiceEntry spec (service_entry.proto).
public struct ServiceEntrySpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "ServiceEntry", versions: ["v1", "v1beta1", "v1alpha3"], plural: "serviceentries", shortNames: ["se"])
    /// Whether the service is part of the mesh.
    public enum Location: String, APIEnum { case MESH_EXTERNAL, MESH_INTERNAL }
    /// How endpoint addresses are found.
    public enum Resolution: String, APIEnum { case NONE, STATIC, DNS, DNS_ROUND_ROBIN }
    public var hosts: [String]?
    public var addresses: [String]?
    public var ports: [Port]?
    public var location: Location?
    public var resolution: Resolution?
    public var endpoints: [WorkloadEntrySpec]?
    public var workloadSelector: NetworkingWorkloadSelector?
    public var exportTo: [String]?
    public var subjectAltNames: [String]?
    public init() {}
}
