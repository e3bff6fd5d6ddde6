import Foundation
import SwiftProtobuf
import WeftModel

/// WeftDiscovery defines the discovery protocol between control plane and proxies once: the
/// generated gRPC messages and service (`Generated/`, from `Protos/`), the resource type URLs,
/// and how WeftModel values become typed wire messages and back (`Wire/`).
public enum DiscoveryTypes {
    public static let listeners = "type.googleapis.com/weft.discovery.v1.Listener"
    public static let routes = "type.googleapis.com/weft.discovery.v1.RouteTable"
    public static let clusters = "type.googleapis.com/weft.discovery.v1.Cluster"
    public static let endpoints = "type.googleapis.com/weft.discovery.v1.EndpointGroup"
    /// The order a proxy subscribes and the control plane pushes: clusters before the routes that
    /// name them, listeners before the routes they route with.
    public static let all = [clusters, endpoints, listeners, routes]

    /// One resource as the wire carries it.
    public struct WireResource: Sendable, Equatable {
        public var name: String
        public var payload: Data
        public init(name: String, payload: Data) {
            self.name = name
            self.payload = payload
        }
    }

    /// A configuration as the wire carries it: per type (in push order), each resource's name and
    /// serialized message. Deterministic, so equal configurations give equal bytes.
    public static func resources(of config: ProxyConfiguration) -> [(typeURL: String, resources: [WireResource])] {
        [
            (clusters, config.clusters.map { WireResource(name: $0.name, payload: encode(Weft_Discovery_V1_Cluster($0))) }),
            (endpoints, config.endpoints.map { WireResource(name: $0.cluster, payload: encode(Weft_Discovery_V1_EndpointGroup($0))) }),
            (listeners, config.listeners.map { WireResource(name: $0.name, payload: encode(Weft_Discovery_V1_Listener($0))) }),
            (routes, config.routeTables.map { WireResource(name: $0.name, payload: encode(Weft_Discovery_V1_RouteTable($0))) }),
        ]
    }

    static func encode(_ message: some SwiftProtobuf.Message) -> Data {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        // Only missing required fields make this throw, and proto3 has none.
        return (try? message.serializedBytes(options: options)) ?? Data()
    }

    /// Decodes one payload of a type; fields this build does not know are kept aside, not refused.
    public static func decode<Message: SwiftProtobuf.Message>(_ type: Message.Type, from payload: Data) throws(WireError) -> Message {
        do {
            return try Message(serializedBytes: payload)
        } catch {
            throw WireError("cannot decode \(Message.protoMessageName): \(error)")
        }
    }
}
