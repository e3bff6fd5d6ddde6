import WeftModel

extension Weft_Discovery_V1_EndpointGroup {
    public init(_ model: EndpointGroup) {
        self.init()
        cluster = model.cluster
        endpoints = model.endpoints.map { endpoint in
            var wire = Weft_Discovery_V1_Endpoint()
            wire.address = endpoint.address
            wire.port = Int32(model: endpoint.port)
            wire.labels = endpoint.labels
            wire.locality = endpoint.locality
            wire.weight = Int32(model: endpoint.weight)
            wire.workload = endpoint.workload
            wire.priority = Int32(model: endpoint.priority)
            if let weight = endpoint.localityWeight { wire.localityWeight = Int32(model: weight) }
            wire.identity = endpoint.identity ?? ""
            return wire
        }
    }
}

extension EndpointGroup {
    public init(wire: Weft_Discovery_V1_EndpointGroup) {
        self.init(cluster: wire.cluster, endpoints: wire.endpoints.map { endpoint in
            EndpointGroup.Endpoint(address: endpoint.address, port: Int(wire: endpoint.port), labels: endpoint.labels, locality: endpoint.locality,
                                   weight: Int(wire: endpoint.weight), workload: endpoint.workload, priority: Int(wire: endpoint.priority),
                                   localityWeight: endpoint.hasLocalityWeight ? Int(wire: endpoint.localityWeight) : nil,
                                   identity: endpoint.identity.isEmpty ? nil : endpoint.identity)
        })
    }
}
