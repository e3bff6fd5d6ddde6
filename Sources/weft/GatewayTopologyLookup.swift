import WeftProxy

/// A gateway's `gatewayTopology` as the control plane resolves it when the gateway starts (the
/// Deployment's `proxy.istio.io/config` found by the gateway's labels, over MeshConfig
/// `defaultConfig`); Istio's defaults when the control plane cannot say.
enum GatewayTopologyLookup {
    static func resolve(namespace: String, labels: [String: String], client: ControlPlaneClient) async -> GatewayEdge {
        let query = ["namespace": namespace, "labels": labels.map { "\($0)=\($1)" }.sorted().joined(separator: ",")]
        guard let reply = try? await client.send("GET", "/api/v1/proxy-bootstrap", query: query), reply.status == 200,
              let topology = reply.object["gatewayTopology"] as? [String: Any] else { return GatewayEdge() }
        return GatewayEdge(numTrustedProxies: topology["numTrustedProxies"] as? Int, forwardClientCertDetails: topology["forwardClientCertDetails"] as? String,
                           proxyProtocol: topology["proxyProtocol"] is [String: Any])
    }
}
