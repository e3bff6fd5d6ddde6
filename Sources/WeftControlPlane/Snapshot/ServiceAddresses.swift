import WeftModel

/// Services' virtual IPs, as every pod in transparent mode sees them: what a Kubernetes Service
/// (`clusterIP`, `clusterIPs`) or a ServiceEntry (`addresses`) declares, else one allocated from
/// 240.240.0.0/16, the range Istio's DNS auto-allocation uses (it never leaves a pod: the
/// sidecar captures it). An allocated address follows from the host name (a hash, probed past
/// collisions in host order), so it stays put while other services come and go.
enum ServiceAddresses {
    /// How many addresses 240.240.0.0/16 offers (without .0.0 and .255.255).
    static let slots = 65_534

    /// `services` with their addresses: declared where there are, allocated for the rest; a
    /// wildcard host or a headless Service (`clusterIP: None`) gets none.
    static func assign(_ services: [MeshService], declared: [String: [String]]) -> [MeshService] {
        var byHost: [String: [String]] = [:]
        for (host, addresses) in declared where !addresses.isEmpty { byHost[host] = addresses }
        var used = Set(byHost.values.joined())
        let unaddressed = Set(services.map(\.hostname)).filter { byHost[$0] == nil && declared[$0] == nil && !$0.contains("*") }
        for host in unaddressed.sorted() {
            var slot = Int(hash(host) % UInt64(slots))
            while used.contains(address(slot)) { slot = (slot + 1) % slots }
            used.insert(address(slot))
            byHost[host] = [address(slot)]
        }
        return services.map { service in
            var service = service
            service.addresses = byHost[service.hostname] ?? []
            return service
        }
    }

    /// 240.240.0.1 is slot 0.
    static func address(_ slot: Int) -> String {
        let value = slot + 1
        return "240.240.\(value >> 8).\(value & 0xff)"
    }

    /// FNV-1a: stable across runs and builds (Swift's `Hasher` is seeded per process).
    static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    /// Whether `text` is a dotted IPv4 address (a CIDR or a name is not a virtual IP).
    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in Int(part).map { (0...255).contains($0) && !part.isEmpty } ?? false }
    }
}
