import NIOConcurrencyHelpers
import WeftModel

/// Load balancing state shared by every connection of a proxy: round-robin positions and the
/// number of requests in flight per endpoint (for LEAST_REQUEST's power of two choices).
public final class LoadBalancerState: Sendable {
    private struct State {
        var positions: [String: Int] = [:]
        var inFlight: [String: Int] = [:]
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public func pick(cluster: String, policy: ClusterConfig.LoadBalancer, endpoints: [EndpointGroup.Endpoint]) -> EndpointGroup.Endpoint {
        switch policy {
        case .random, .passthrough:
            return endpoints.randomElement() ?? endpoints[0]
        case .roundRobin:
            let index = state.withLockedValue { state -> Int in
                let position = state.positions[cluster, default: 0]
                state.positions[cluster] = position &+ 1
                return position
            }
            return endpoints[abs(index) % endpoints.count]
        case .leastRequest:
            guard endpoints.count > 1 else { return endpoints[0] }
            let first = endpoints.randomElement() ?? endpoints[0]
            var second = endpoints.randomElement() ?? endpoints[0]
            if second == first { second = endpoints[(endpoints.firstIndex(of: first).map { $0 + 1 } ?? 0) % endpoints.count] }
            return state.withLockedValue { state in
                state.inFlight[Self.key(first), default: 0] <= state.inFlight[Self.key(second), default: 0] ? first : second
            }
        }
    }

    public func started(_ host: String, _ port: Int) {
        state.withLockedValue { $0.inFlight["\(host):\(port)", default: 0] += 1 }
    }

    public func finished(_ host: String, _ port: Int) {
        state.withLockedValue { $0.inFlight["\(host):\(port)", default: 1] -= 1 }
    }

    private static func key(_ endpoint: EndpointGroup.Endpoint) -> String { "\(endpoint.address):\(endpoint.port)" }
}
