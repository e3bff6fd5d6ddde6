import NIOCore
import Testing
import WeftModel
@testable import WeftProxy

/// Transparent capture's view of a configuration, and the sidecar DNS's messages.
struct CaptureTableTests {
    static func configuration(fallback: RouteTable.Fallback = .passthrough) -> ProxyConfiguration {
        var reviews = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: nil)
        reviews.serviceAddresses = ["240.240.1.2"]
        reviews.serviceProtocol = "HTTP"
        var subset = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: "v1")
        subset.serviceAddresses = ["240.240.1.2"]
        var cache = ClusterConfig(serviceHost: "cache.other.svc.cluster.local", port: 6379, subset: nil)
        cache.serviceAddresses = ["10.96.0.7"]
        cache.serviceProtocol = "REDIS"
        var plain = ClusterConfig(serviceHost: "plain.default.svc.cluster.local", port: 7000, subset: nil)
        plain.serviceAddresses = ["240.240.1.3"]
        let endpoints = [EndpointGroup(cluster: cache.name, endpoints: [.init(address: "198.18.0.9", port: 6379, labels: [:], locality: "", weight: 1, workload: "cache")])]
        return ProxyConfiguration(version: "1", listeners: [], routeTables: [RouteTable(name: "outbound", virtualHosts: [], fallback: fallback)],
                                  clusters: [reviews, subset, cache, plain], endpoints: endpoints)
    }

    @Test("original destinations: a VIP's HTTP port is routed, a TCP port spliced, an undeclared one sniffed, a pod address is its service's; the rest passes through or is refused")
    func outbound() {
        let table = ActiveConfiguration(Self.configuration()).capture
        #expect(table.outbound(.init(address: "240.240.1.2", port: 9080)) == .http(port: 9080))
        #expect(table.outbound(.init(address: "10.96.0.7", port: 6379)) == .tcp(cluster: "outbound|6379||cache.other.svc.cluster.local"))
        #expect(table.outbound(.init(address: "198.18.0.9", port: 6379)) == .tcp(cluster: "outbound|6379||cache.other.svc.cluster.local"))
        #expect(table.outbound(.init(address: "240.240.1.3", port: 7000)) == .sniff(port: 7000, cluster: "outbound|7000||plain.default.svc.cluster.local"))
        #expect(table.outbound(.init(address: "240.240.1.2", port: 9999)) == .passthrough)
        #expect(ActiveConfiguration(Self.configuration(fallback: .blackhole)).capture.outbound(.init(address: "203.0.113.5", port: 80)) == .blackhole)
    }

    @Test("DNS names: the full name and the Kubernetes short forms from the pod's namespace")
    func names() {
        let table = ActiveConfiguration(Self.configuration()).capture
        for name in ["reviews", "reviews.default", "reviews.default.svc", "reviews.default.svc.cluster.local", "REVIEWS.default.svc.cluster.local."] {
            #expect(table.addresses(of: name, namespace: "default") == ["240.240.1.2"], "\(name)")
        }
        #expect(table.addresses(of: "reviews", namespace: "other") == nil, "a short name is the pod's own namespace's")
        #expect(table.addresses(of: "cache.other", namespace: "default") == ["10.96.0.7"])
        #expect(table.addresses(of: "nothing.default.svc.cluster.local", namespace: "default") == nil)
    }

    @Test("DNS messages: a query's question is read, answered with A records (none for AAAA), NXDOMAIN; garbage is nil")
    func messages() throws {
        let query = DNSMessage.query(id: 0x1234, name: "reviews.default.svc.cluster.local")
        let question = try #require(DNSQuestion(query))
        #expect(question.name == "reviews.default.svc.cluster.local" && question.type == 1 && question.id == 0x1234)
        #expect(DNSMessage.answer(question.answer(addresses: ["240.240.1.2"]), id: 0x1234) == .addresses(["240.240.1.2"], ttl: 30))
        #expect(DNSMessage.answer(question.answer(addresses: [], code: 3), id: 0x1234) == .error(code: 3))
        var aaaa = question
        aaaa.type = 28
        #expect(DNSMessage.answer(aaaa.answer(addresses: ["240.240.1.2"]), id: 0x1234) == .error(code: 3), "no A records in an AAAA answer (the reader calls that not resolving)")
        #expect(DNSQuestion(ByteBuffer(bytes: [1, 2, 3])) == nil)
        #expect(DNSQuestion(ByteBuffer(bytes: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1])) == nil, "a compressed name in a question is refused")
    }
}
