import Testing
@testable import weft

/// The iptables rules of a transparent-mode pod, from the pod template's annotations (pure: the
/// end-to-end proof is `TransparentModeTests`, which runs them in real network namespaces).
struct CaptureRulesTests {
    @Test("defaults: every port in to 15006 but the sidecar's own, every connection out to 15001 but the proxy group's and loopback, DNS to 15053")
    func defaults() {
        let rules = CaptureRules().restoreInput
        #expect(rules.hasPrefix("*nat\n") && rules.hasSuffix("COMMIT\n"))
        for line in ["-A WEFT_INBOUND -p tcp --dport 15000 -j RETURN", "-A WEFT_INBOUND -p tcp --dport 15021 -j RETURN", "-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT",
                     "-A WEFT_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006", "-A WEFT_OUTPUT -m owner --gid-owner 1337 -j RETURN",
                     "-A WEFT_OUTPUT -d 127.0.0.1/32 -j RETURN", "-A WEFT_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN",
                     "-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --gid-owner 1337 -j WEFT_IN_REDIRECT", "-A WEFT_OUTPUT -j WEFT_REDIRECT", "-A WEFT_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
                     "-A OUTPUT -p udp --dport 53 -m owner ! --gid-owner 1337 -j REDIRECT --to-ports 15053"] {
            #expect(rules.contains(line + "\n"), "\(line)")
        }
    }

    @Test("traffic.sidecar.istio.io annotations: excluded ports and ranges return early; included ranges alone are redirected")
    func annotations() throws {
        let rules = try CaptureRules(annotations: [
            "traffic.sidecar.istio.io/excludeOutboundPorts": "6379, 5432",
            "traffic.sidecar.istio.io/excludeInboundPorts": "9090",
            "traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8",
            "traffic.sidecar.istio.io/includeOutboundIPRanges": "240.240.0.0/16,198.18.0.0/15",
        ]).restoreInput
        for line in ["-A WEFT_OUTPUT -p tcp --dport 6379 -j RETURN", "-A WEFT_OUTPUT -p tcp --dport 5432 -j RETURN", "-A WEFT_INBOUND -p tcp --dport 9090 -j RETURN",
                     "-A WEFT_OUTPUT -d 10.0.0.0/8 -j RETURN", "-A WEFT_OUTPUT -d 240.240.0.0/16 -j WEFT_REDIRECT", "-A WEFT_OUTPUT -d 198.18.0.0/15 -j WEFT_REDIRECT"] {
            #expect(rules.contains(line + "\n"), "\(line)")
        }
        #expect(!rules.contains("-A WEFT_OUTPUT -j WEFT_REDIRECT\n"), "with includeOutboundIPRanges only those ranges are captured")
        let all = try CaptureRules(annotations: ["traffic.sidecar.istio.io/includeOutboundIPRanges": "*"]).restoreInput
        #expect(all.contains("-A WEFT_OUTPUT -j WEFT_REDIRECT\n"))
        let only = try CaptureRules(annotations: ["traffic.sidecar.istio.io/includeInboundPorts": "9080"]).restoreInput
        #expect(only.contains("-A WEFT_INBOUND -p tcp --dport 9080 -j WEFT_IN_REDIRECT\n") && !only.contains("-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT\n"))
    }

    @Test("a bad annotation value is refused, naming the annotation, the value and why")
    func invalid() {
        #expect(throws: CaptureRules.InvalidAnnotation.self) { try CaptureRules(annotations: ["traffic.sidecar.istio.io/excludeOutboundPorts": "80,http"]) }
        do {
            _ = try CaptureRules(annotations: ["traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/33"])
            Issue.record("accepted a /33")
        } catch {
            #expect("\(error)" == "annotation traffic.sidecar.istio.io/excludeOutboundIPRanges: \"10.0.0.0/33\": not an IPv4 CIDR (a.b.c.d/n) or *")
        }
    }

    @Test("address ranges: indexes, sizes and overlaps")
    func ranges() throws {
        let range = try #require(AddressRange("198.18.0.0/15"))
        #expect(range.address(at: 1) == "198.18.0.1" && range.size == 131_072)
        #expect(range.address(at: 65_536 + 2) == "198.19.0.2")
        #expect(range.overlaps(try #require(AddressRange("198.19.4.0/24"))))
        #expect(!range.overlaps(try #require(AddressRange("198.20.0.0/16"))))
        #expect(AddressRange("198.18.0.0") == nil && AddressRange("300.1.1.1/8") == nil)
    }
}
