import Testing
import WeftModel
@testable import WeftProxy

/// The pool's key compared without being made (the idle-list lookup's fast path) says what
/// comparing the made key says.
@Suite("upstream pool key")
struct UpstreamPoolKeyTests {
    static let transports: [UpstreamTransport] = [
        .plaintext,
        .istioMutual(sni: "outbound_.9080_._.reviews.default.svc.cluster.local", identities: ["spiffe://cluster.local/ns/default/sa/reviews"]),
        .istioMutual(sni: "outbound_.9080_.v2_.reviews.default.svc.cluster.local", identities: []),
        .originate(UpstreamTLS(mode: .simple), sni: "outbound_.9080_._.reviews.default.svc.cluster.local"),
    ]

    @Test("matches(host:port:cluster:transport:) is poolKey(...) == key for every endpoint, cluster and transport pair")
    func matchesAsMade() {
        let endpoints = [("127.0.0.2", 9080), ("127.0.0.2", 9081), ("127.0.0.3", 9080)]
        let clusters = ["outbound|9080||reviews.default.svc.cluster.local", "outbound|9080|v2|reviews.default.svc.cluster.local"]
        var compared = 0
        for (host, port) in endpoints {
            for cluster in clusters {
                for transport in Self.transports {
                    let key = transport.poolKey(host: host, port: port, cluster: cluster)
                    for (otherHost, otherPort) in endpoints {
                        for otherCluster in clusters {
                            for other in Self.transports {
                                let made = other.poolKey(host: otherHost, port: otherPort, cluster: otherCluster)
                                #expect(key.matches(host: otherHost, port: otherPort, cluster: otherCluster, transport: other) == (key == made))
                                compared += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(compared == 576)
    }
}
