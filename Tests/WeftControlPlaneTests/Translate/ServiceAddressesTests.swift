import Testing
import WeftModel
@testable import WeftControlPlane

/// Services' virtual IPs: declared ones kept, the rest allocated from 240.240.0.0/16 by host name.
struct ServiceAddressesTests {
    static func service(_ host: String) -> MeshService {
        MeshService(hostname: host, namespace: "default", name: host, origin: .kubernetes, ports: [.init(name: "http", number: 80)], selector: [:])
    }

    @Test("declared addresses stay; others get a stable 240.240 address that does not move when services come and go; headless and wildcard get none")
    func allocation() {
        let hosts = ["reviews.default.svc.cluster.local", "ratings.default.svc.cluster.local", "cache.default.svc.cluster.local", "*.example.com", "db.default.svc.cluster.local"]
        let assigned = ServiceAddresses.assign(hosts.map(Self.service), declared: ["cache.default.svc.cluster.local": ["10.96.0.7"], "db.default.svc.cluster.local": []])
        let byHost = Dictionary(uniqueKeysWithValues: assigned.map { ($0.hostname, $0.addresses) })
        #expect(byHost["cache.default.svc.cluster.local"] == ["10.96.0.7"])
        #expect(byHost["db.default.svc.cluster.local"] == [], "headless: no virtual IP")
        #expect(byHost["*.example.com"] == [])
        let reviews = byHost["reviews.default.svc.cluster.local"]?.first ?? ""
        #expect(reviews.hasPrefix("240.240.") && reviews != byHost["ratings.default.svc.cluster.local"]?.first)
        let fewer = ServiceAddresses.assign([Self.service("reviews.default.svc.cluster.local")], declared: [:])
        #expect(fewer.first?.addresses.first == reviews, "the same host gets the same address whatever else exists")
    }

    @Test("a collision is probed past, in host order")
    func collision() {
        // Two hosts whose hashes meet are rare; an occupied slot is made by declaring its address.
        let host = "reviews.default.svc.cluster.local"
        let natural = ServiceAddresses.address(Int(ServiceAddresses.hash(host) % UInt64(ServiceAddresses.slots)))
        let assigned = ServiceAddresses.assign([Self.service(host), Self.service("other.default.svc.cluster.local")], declared: ["other.default.svc.cluster.local": [natural]])
        #expect(assigned.first?.addresses.first != natural && assigned.first?.addresses.first?.hasPrefix("240.240.") == true)
    }
}
