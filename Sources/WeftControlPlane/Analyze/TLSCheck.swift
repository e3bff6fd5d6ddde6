import WeftAPI
import WeftModel

/// `weft authn tls-check POD [SERVICE]` (istioctl's): for each service port a proxy can call, what
/// its servers accept (PeerAuthentication, and the policy that decided), what the client sends
/// (DestinationRule `tls`, else auto mutual TLS), and CONFLICT where the two cannot meet.
public enum TLSCheck {
    /// One `HOST:PORT` line.
    public struct Row: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var status: String
        public var server: String
        public var client: String
        /// `namespace/name` of the deciding PeerAuthentication, or `-`.
        public var policy: String
    }

    public static func rows(_ view: ProxyView, service: String? = nil) -> [Row] {
        let clusters = ClusterTranslator.translate(view).filter { $0.subset == nil }
        return clusters.compactMap { cluster -> Row? in
            if let service, !(cluster.serviceHost == service || cluster.serviceHost.hasPrefix(service + ".")) { return nil }
            guard let meshService = view.service(cluster.serviceHost), meshService.origin == .kubernetes else { return nil }
            let endpoints = view.endpoints["\(cluster.serviceHost)|\(cluster.port)"] ?? []
            // The server side: the first endpoint's workload and container port, else the namespace's policy.
            let decision = endpoints.first.map { view.peerAuthentication.decision(namespace: $0.namespace, labels: $0.labels, port: $0.port) }
                ?? view.peerAuthentication.decision(namespace: meshService.namespace, labels: meshService.selector ?? [:], port: nil)
            let meshTLS = endpoints.contains { EndpointTranslator.meshIdentity(of: $0, in: view) != nil }
            let client: String
            switch cluster.tls.mode {
            case .auto: client = meshTLS ? "ISTIO_MUTUAL" : "DISABLE"
            case .disable: client = "DISABLE"
            case .simple: client = "SIMPLE"
            case .mutual: client = "MUTUAL"
            case .istioMutual: client = "ISTIO_MUTUAL"
            }
            let conflict = (decision.mode == .strict && client != "ISTIO_MUTUAL") || (decision.mode == .disable && client == "ISTIO_MUTUAL")
            return Row(host: cluster.serviceHost, port: cluster.port, status: conflict ? "CONFLICT" : "OK", server: decision.mode.rawValue, client: client,
                       policy: decision.policy ?? "-")
        }
    }
}
