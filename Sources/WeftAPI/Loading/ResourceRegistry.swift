/// Every kind Weft reads, and the kinds it recognises but does not handle.
public enum ResourceRegistry {
    /// The kinds Weft decodes and validates, in the order `weft get` lists them.
    public static let supported: [any APIResource.Type] = [
        Namespace.self, Service.self, ServiceAccount.self, Deployment.self, Pod.self, Secret.self, ConfigMap.self,
        VirtualService.self, DestinationRule.self, Gateway.self, ServiceEntry.self, Sidecar.self, WorkloadEntry.self,
        WorkloadGroup.self, ProxyConfigResource.self, PeerAuthentication.self, AuthorizationPolicy.self,
        RequestAuthentication.self, Telemetry.self, IstioOperator.self,
    ]

    /// Known kinds Weft does not handle, with the reason given to the user.
    public static let unsupported: [(group: String, kind: String, reason: String)] = [
        ("networking.istio.io", "EnvoyFilter", "EnvoyFilter patches Envoy's own configuration, and Weft's proxy is not Envoy"),
        ("extensions.istio.io", "WasmPlugin", "Weft's proxy does not run Wasm extensions"),
        ("gateway.networking.k8s.io", "Gateway", "the Kubernetes Gateway API is not supported yet; use networking.istio.io Gateway and VirtualService"),
        ("gateway.networking.k8s.io", "GatewayClass", "the Kubernetes Gateway API is not supported yet"),
        ("gateway.networking.k8s.io", "HTTPRoute", "the Kubernetes Gateway API is not supported yet; use a VirtualService"),
        ("gateway.networking.k8s.io", "GRPCRoute", "the Kubernetes Gateway API is not supported yet; use a VirtualService"),
        ("gateway.networking.k8s.io", "TCPRoute", "the Kubernetes Gateway API is not supported yet; use a VirtualService"),
        ("gateway.networking.k8s.io", "TLSRoute", "the Kubernetes Gateway API is not supported yet; use a VirtualService"),
        ("gateway.networking.k8s.io", "UDPRoute", "the Kubernetes Gateway API is not supported yet"),
        ("gateway.networking.k8s.io", "ReferenceGrant", "the Kubernetes Gateway API is not supported yet"),
        ("gateway.networking.x-k8s.io", "", "the Kubernetes Gateway API is not supported yet"),
    ]

    /// The kind names of `supported`, for messages.
    public static let supportedKindNames: [String] = supported.map { type in type.resourceType.kind }

    private static let byGroupKind: [String: any APIResource.Type] = {
        var table: [String: any APIResource.Type] = [:]
        for type in supported { table["\(type.resourceType.group)/\(type.resourceType.kind)"] = type }
        return table
    }()

    /// The type for a group and kind, or nil.
    public static func type(group: String, kind: String) -> (any APIResource.Type)? {
        byGroupKind["\(group)/\(kind)"]
    }

    /// The reason a known but unhandled kind is refused, or nil.
    public static func unsupportedReason(group: String, kind: String) -> String? {
        unsupported.first { $0.group == group && ($0.kind == kind || $0.kind.isEmpty) }?.reason
    }

    /// Finds a type by the names the CLI accepts: kind, plural, short name, `kind.group` (case-insensitive).
    public static func type(named name: String) -> (any APIResource.Type)? {
        let lower = name.lowercased()
        return supported.first { type in
            let info = type.resourceType
            let kind = info.kind.lowercased()
            return lower == kind || lower == info.plural || info.shortNames.contains(lower)
                || lower == "\(kind).\(info.group)" || lower == "\(info.plural).\(info.group)"
        }
    }
}
