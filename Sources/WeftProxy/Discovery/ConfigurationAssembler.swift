import Foundation
import WeftDiscovery
import WeftModel

/// Turns discovery responses into one ProxyConfiguration, refusing what the proxy cannot use
/// (the reason goes back as a NACK and the last good configuration keeps serving).
struct ConfigurationAssembler {
    private var clusters: [ClusterConfig]?
    private var endpoints: [EndpointGroup]?
    private var listeners: [ListenerConfig]?
    private var routes: [RouteTable]?
    private var versions: [String: String] = [:]
    /// Where access logs go; a listener whose log cannot be opened or parsed is refused.
    private let accessLogFiles: AccessLogFiles?

    init(accessLogFiles: AccessLogFiles? = nil) {
        self.accessLogFiles = accessLogFiles
    }

    /// Why a response was refused.
    struct Rejection: Error, CustomStringConvertible { var description: String }

    /// Largest ring a ring-hash cluster may ask for (Envoy's maximum_ring_size default).
    static let maximumRingSize = HashPolicy.maximumRingSize
    /// Largest Maglev table Envoy accepts.
    static let maximumMaglevSize = 5_000_011

    /// Accepts one response; returns the assembled configuration once every type has arrived.
    mutating func accept(_ response: Weft_Discovery_V1_DiscoveryResponse) throws(Rejection) -> ProxyConfiguration? {
        do {
            switch response.typeURL {
            case DiscoveryTypes.clusters:
                let decoded = try response.resources.map { try ClusterConfig(wire: DiscoveryTypes.decode(Weft_Discovery_V1_Cluster.self, from: $0.payload)) }
                for cluster in decoded {
                    switch cluster.hashPolicy?.table {
                    case .ring(let size)? where size > Self.maximumRingSize:
                        throw Rejection(description: "cluster \(cluster.name): minimum ring size \(size) exceeds the maximum \(Self.maximumRingSize)")
                    case .maglev(let size)? where size > Self.maximumMaglevSize:
                        throw Rejection(description: "cluster \(cluster.name): maglev table size \(size) exceeds the maximum \(Self.maximumMaglevSize)")
                    default: break
                    }
                }
                clusters = decoded
            case DiscoveryTypes.endpoints:
                endpoints = try response.resources.map { try EndpointGroup(wire: DiscoveryTypes.decode(Weft_Discovery_V1_EndpointGroup.self, from: $0.payload)) }
            case DiscoveryTypes.listeners:
                let decoded = try response.resources.map { try ListenerConfig(wire: DiscoveryTypes.decode(Weft_Discovery_V1_Listener.self, from: $0.payload)) }
                if let accessLogFiles {
                    for listener in decoded {
                        for log in listener.accessLogs {
                            do {
                                _ = try PreparedAccessLog(log, files: accessLogFiles)
                            } catch {
                                throw Rejection(description: "listener \(listener.name): \(error.description)")
                            }
                        }
                    }
                }
                listeners = decoded
            case DiscoveryTypes.routes:
                routes = try response.resources.map { try RouteTable(wire: DiscoveryTypes.decode(Weft_Discovery_V1_RouteTable.self, from: $0.payload)) }
            default:
                throw Rejection(description: "unknown resource type \(response.typeURL)")
            }
        } catch let rejection as Rejection {
            throw rejection
        } catch let error as WireError {
            throw Rejection(description: error.description)
        } catch {
            throw Rejection(description: "cannot decode \(response.typeURL): \(error)")
        }
        versions[response.typeURL] = response.versionInfo
        guard let clusters, let endpoints, let listeners, let routes else { return nil }
        // The newest of the types' versions, numerically ("10.1" after "9.3").
        let version = DiscoveryTypes.all.compactMap { versions[$0].map(ConfigVersion.init) }.max()?.text ?? response.versionInfo
        return ProxyConfiguration(version: version, listeners: listeners, routeTables: routes, clusters: clusters, endpoints: endpoints)
    }
}
