import Foundation
import WeftModel

/// WeftDiscovery defines the discovery protocol between control plane and proxies once: the
/// generated gRPC messages and service (`Generated/`, from `Protos/`), the resource type URLs,
/// and how WeftModel values travel as resource payloads.
public enum DiscoveryTypes {
    public static let routes = "type.weft.io/RouteTable"
    public static let clusters = "type.weft.io/ClusterConfig"
    public static let endpoints = "type.weft.io/EndpointGroup"
    /// The order a proxy subscribes and the control plane pushes: clusters before the routes that name them.
    public static let all = [clusters, endpoints, routes]

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
