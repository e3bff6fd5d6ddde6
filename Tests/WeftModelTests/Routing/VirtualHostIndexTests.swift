import Testing
@testable import WeftModel

/// The index chooses the virtual host the full read of every domain chooses.
struct VirtualHostIndexTests {
    static let table = RouteTable(name: "outbound", virtualHosts: [
        VirtualHostConfig(name: "reviews:9080", domains: ["reviews", "reviews.default", "reviews.default.svc.cluster.local", "10.0.0.7"], port: 9080, routes: []),
        VirtualHostConfig(name: "reviews:9081", domains: ["reviews", "reviews.default.svc.cluster.local"], port: 9081, routes: []),
        VirtualHostConfig(name: "shadow-reviews", domains: ["reviews"], port: 9080, routes: []),
        VirtualHostConfig(name: "wild-short", domains: ["*.com"], port: nil, routes: []),
        VirtualHostConfig(name: "wild-long", domains: ["*.example.com"], port: nil, routes: []),
        VirtualHostConfig(name: "wild-long-again", domains: ["*.example.com"], port: nil, routes: []),
        VirtualHostConfig(name: "prefix-star", domains: ["*-api.internal"], port: 8080, routes: []),
        VirtualHostConfig(name: "any", domains: ["*"], port: 80, routes: []),
        VirtualHostConfig(name: "literal-star", domains: ["*.literal"], port: nil, routes: []),
    ], fallback: .notFound)

    @Test("exact before the longest wildcard before *; ports narrow; the first host wins a tie; nothing when nothing answers")
    func sameChoiceAsTheFullRead() {
        let index = VirtualHostIndex(Self.table)
        let authorities = ["reviews:9080", "reviews:9081", "reviews:9082", "reviews.default:9080", "10.0.0.7:9080", "a.example.com", "a.b.example.com:8443",
                           "shop.com", "example.com", "x-api.internal:8080", "x-api.internal:80", "other", "other:81", "*.literal", "y.literal", "REVIEWS:9080"]
        for authority in authorities {
            let request = RequestAttributes(authority: authority, path: "/")
            #expect(index.virtualHost(for: request)?.name == RouteSelector.virtualHost(in: Self.table, for: request)?.name, "\(authority)")
        }
        #expect(index.virtualHost(for: RequestAttributes(authority: "reviews:9080", path: "/"))?.name == "reviews:9080")
        #expect(index.virtualHost(for: RequestAttributes(authority: "a.b.example.com", path: "/"))?.name == "wild-long")
        #expect(index.virtualHost(for: RequestAttributes(authority: "other:81", path: "/")) == nil)
    }
}
