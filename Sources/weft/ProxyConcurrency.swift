import Foundation
import NIOCore

/// A proxy's event loops (Istio's `concurrency`), as `weft run` resolves it for a workload and
/// the proxy commands take it.
enum ProxyConcurrency {
    /// Istio's default when nothing sets it.
    static let istioDefault = 2

    /// The number of loops to start: `concurrency`, or one per core for 0.
    static func loops(_ concurrency: Int) -> Int {
        concurrency > 0 ? concurrency : max(1, System.coreCount)
    }

    /// What the control plane resolves for the workload (ProxyConfig resources, the pod's
    /// `proxy.istio.io/config`, MeshConfig `defaultConfig`, install values), as Istio's injector
    /// does; Istio's default when the control plane cannot say.
    static func resolve(namespace: String, labels: [String: String], annotations: [String: String], client: ControlPlaneClient) async -> Int {
        var query = ["namespace": namespace, "labels": labels.map { "\($0)=\($1)" }.sorted().joined(separator: ",")]
        if let annotation = annotations["proxy.istio.io/config"] { query["annotation"] = annotation }
        guard let reply = try? await client.send("GET", "/api/v1/proxy-bootstrap", query: query),
              let concurrency = reply.object["concurrency"] as? Int, concurrency >= 0 else { return istioDefault }
        return concurrency
    }
}
