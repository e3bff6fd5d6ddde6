import WeftAPI
import WeftModel

/// Listeners translator: a sidecar's outbound proxy port and one inbound listener per container
/// port; a router's one listener per Gateway server port (after the Service port → targetPort
/// mapping of the router's own Service), named as Istio names gateway listeners.
public enum ListenerTranslator {
    /// Where a sidecar's app finds its outbound HTTP proxy (Istio's virtualOutbound port).
    public static let outboundPort = 15001

    public static func translate(_ view: ProxyView) -> [ListenerConfig] {
        switch view.proxy.mode {
        case .sidecar: return sidecar(view)
        case .router: return gateway(view)
        }
    }

    static func sidecar(_ view: ProxyView) -> [ListenerConfig] {
        var outbound = ListenerConfig(name: "outbound", port: outboundPort, direction: .outbound, routeTable: "outbound")
        outbound.accessLogs = view.clientTelemetry.accessLogs
        outbound.tracing = view.clientTelemetry.tracing
        if view.proxy.mode == .sidecar {
            outbound.sniRoutes = TunnelRouteTranslator.sniRoutes(view)
            outbound.tunnelTCPRoutes = TunnelRouteTranslator.tcpRoutes(view)
        }
        outbound.metrics = view.clientTelemetry.metrics
        let authorization = AuthorizationTranslator.translate(view)
        let authentication = RequestAuthenticationTranslator.translate(view)
        let inbound = Set(view.proxy.ports.values).sorted().map { port in
            var listener = ListenerConfig(name: "inbound|\(port)", port: port, direction: .inbound, appPort: port,
                                          peerAuthentication: view.peerAuthentication.mode(namespace: view.proxy.namespace, labels: view.proxy.labels, port: port))
            if let served = view.inboundServicePorts[port] {
                listener.hosts = [served.host]
                listener.protocolName = inboundProtocol(served.protocolName)
            } else {
                listener.protocolName = "AUTO"
            }
            // A Sidecar ingress listener for the port: its protocol, and the app's port its defaultEndpoint names.
            let ingress = view.ingressListeners.first { $0.port?.number == port }
            if let ingress {
                if let declared = ingress.port?.protocol { listener.protocolName = inboundProtocol(declared) }
                if let endpoint = ingress.defaultEndpoint, let target = endpoint.split(separator: ":").last.flatMap({ Int($0) }) { listener.appPort = target }
                // Its own TLS, for callers from outside the mesh, takes the place of mutual TLS on the port.
                if let tls = ingress.tls, tls.mode != .ISTIO_MUTUAL {
                    listener.serverTLS = [GatewayTLSTranslator.translate(tls, serverNames: [], view: view)]
                    listener.peerAuthentication = .permissive
                    // An HTTPS port's bytes are HTTP once the sidecar has terminated them.
                    if ["HTTPS", "TLS"].contains(ingress.port?.protocol?.uppercased() ?? "") { listener.protocolName = "HTTP" }
                }
            }
            if let settings = ingress?.connectionPool ?? view.inboundConnectionPool {
                var pool = ConnectionPoolPolicy()
                ClusterTranslator.connectionPool(settings, into: &pool)
                listener.appConnectionPool = pool
            }
            applyWorkloadPolicies(&listener, view, authorization: authorization, authentication: authentication)
            return listener
        }
        return [outbound] + inbound + [virtualInbound(view, authorization: authorization, authentication: authentication)]
            + EgressListenerTranslator.translate(view, outboundPort: outboundPort)
    }

    /// Transparent capture's inbound port (Envoy's `virtualInbound`): what a connection to a port no
    /// container port declares gets: the workload's PeerAuthentication (so STRICT has no way around
    /// it), its policies and telemetry, and its first bytes sniffed. Host mode binds nothing for it.
    static func virtualInbound(_ view: ProxyView, authorization: [AuthorizationPolicyConfig], authentication: [JWTRuleConfig]) -> ListenerConfig {
        var listener = ListenerConfig(name: virtualInboundName, port: virtualInboundPort, direction: .inbound, appPort: nil,
                                      peerAuthentication: view.peerAuthentication.mode(namespace: view.proxy.namespace, labels: view.proxy.labels, port: nil))
        listener.protocolName = "AUTO"
        applyWorkloadPolicies(&listener, view, authorization: authorization, authentication: authentication)
        return listener
    }

    /// What every inbound listener of a workload carries: its policies and its server-side telemetry.
    private static func applyWorkloadPolicies(_ listener: inout ListenerConfig, _ view: ProxyView, authorization: [AuthorizationPolicyConfig],
                                              authentication: [JWTRuleConfig]) {
        // Istio's inbound listener filters (TLS and HTTP inspection) give up after it, and the
        // connection goes on as plaintext: what lets a server-first protocol through PERMISSIVE.
        listener.protocolDetectionTimeoutMs = view.protocolDetectionTimeoutMs
        listener.authorization = authorization
        listener.requestAuthentication = authentication
        listener.accessLogs = view.serverTelemetry.accessLogs
        listener.tracing = view.serverTelemetry.tracing
        listener.metrics = view.serverTelemetry.metrics
    }

    /// Istio's inbound capture port and listener name.
    public static let virtualInboundPort = 15006
    public static let virtualInboundName = "virtualInbound"

    /// What an inbound port carries, as Istio's inbound listener chooses its filter chain: HTTP for
    /// `http`, AUTO (sniffed: HTTP/1.1, HTTP/2 or else TCP) for a port no name declares, HTTP2 (HTTP to an app that
    /// speaks HTTP/2) for `http2`, `grpc`, `grpc-web`; the app's own bytes (TCP) for `tcp`, `tls`,
    /// `https`, `mongo`, `mysql`, `redis` and others.
    static func inboundProtocol(_ declared: String?) -> String {
        guard let declared else { return "AUTO" }
        if ClusterTranslator.speaksHTTP2(declared) { return "HTTP2" }
        return Protocols.isHTTP(declared) ? "HTTP" : "TCP"
    }

    static func gateway(_ view: ProxyView) -> [ListenerConfig] {
        var hostsByPort: [Int: [String]] = [:]
        var protocolByPort: [Int: String] = [:]
        var gatewaysByPort: [Int: Set<String>] = [:]
        var serverPortByPort: [Int: Int] = [:]
        for gateway in view.gateways {
            for server in gateway.spec.servers ?? [] {
                guard let number = server.port?.number else { continue }
                let port = view.gatewayServicePorts[number] ?? number
                hostsByPort[port, default: []] += server.hosts ?? []
                gatewaysByPort[port, default: []].insert("\(gateway.namespace)/\(gateway.name)")
                if serverPortByPort[port] == nil { serverPortByPort[port] = number }
                // The first server on a port names its protocol (Istio refuses conflicting ones: IST0145).
                if protocolByPort[port] == nil { protocolByPort[port] = server.port?.protocol?.uppercased() ?? "HTTP" }
            }
        }
        let authorization = AuthorizationTranslator.translate(view)
        let authentication = RequestAuthenticationTranslator.translate(view)
        return hostsByPort.sorted { $0.key < $1.key }.map { port, hosts in
            var listener = ListenerConfig(name: "0.0.0.0_\(port)", port: port, direction: .gateway, protocolName: protocolByPort[port] ?? "HTTP",
                                          routeTable: "http.\(port)", hosts: Array(Set(hosts)).sorted())
            listener.authorization = authorization
            listener.requestAuthentication = authentication
            listener.serverTLS = GatewayTLSTranslator.servers(port: port, view: view)
            if listener.serverTLS.contains(where: { !$0.terminates }) {
                listener.sniRoutes = GatewayTLSTranslator.passthroughRoutes(port: port, serverPort: serverPortByPort[port] ?? port,
                                                                            gatewayNames: gatewaysByPort[port] ?? [], view: view)
            }
            // TCP servers, and TLS servers that terminate: what comes out goes by the tcp routes bound here.
            if let protocolName = protocolByPort[port], !Protocols.isHTTP(protocolName), protocolName != "HTTPS" {
                listener.tcpDestinations = gatewayTCPDestinations(serverPort: serverPortByPort[port] ?? port, gatewayNames: gatewaysByPort[port] ?? [], view: view)
            }
            // A gateway's listeners are outbound to Istio's Telemetry API (mode CLIENT).
            listener.accessLogs = view.clientTelemetry.accessLogs
            listener.tracing = view.clientTelemetry.tracing
            listener.metrics = view.clientTelemetry.metrics
            return listener
        }
    }

    /// The first `tcp` route of a VirtualService bound to these gateways that holds on the server's port.
    static func gatewayTCPDestinations(serverPort: Int, gatewayNames: Set<String>, view: ProxyView) -> [WeightedCluster] {
        for virtualService in view.virtualServices {
            let bound = (virtualService.spec.gateways ?? []).map { HTTPRouteTranslator.gatewayKey($0, vsNamespace: virtualService.namespace) }
            guard !gatewayNames.isDisjoint(with: bound) else { continue }
            for route in virtualService.spec.tcp ?? [] {
                let holds = (route.match ?? []).isEmpty || (route.match ?? []).contains { match in
                    let gateways = (match.gateways ?? []).map { HTTPRouteTranslator.gatewayKey($0, vsNamespace: virtualService.namespace) }
                    return (match.port == nil || match.port == serverPort) && (gateways.isEmpty || !gatewayNames.isDisjoint(with: gateways))
                }
                if holds { return EgressListenerTranslator.weighted(route.route ?? [], namespace: virtualService.namespace, port: serverPort) }
            }
        }
        return []
    }
}
