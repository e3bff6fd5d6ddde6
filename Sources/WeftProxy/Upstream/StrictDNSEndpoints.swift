import WeftModel

/// Istio's `resolution: DNS` on the proxy (Envoy's STRICT_DNS): an endpoint named by a host name
/// stands for every address its name resolves to, each balanced (and pooled) as an endpoint of its
/// own, so calls spread over a name's addresses and go to the new ones once the answer changes.
/// Past its TTL the answer serves on while it is asked again; a name never asked yet stays as it
/// is, and the connection made to it resolves it for the requests after.
enum StrictDNSEndpoints {
    static func expand(_ endpoints: [EndpointGroup.Endpoint], dns: ProxyDNS) -> [EndpointGroup.Endpoint] {
        guard endpoints.contains(where: { !ProxyDNS.isAddress($0.address) }) else { return endpoints }
        var expanded: [EndpointGroup.Endpoint] = []
        for endpoint in endpoints {
            guard !ProxyDNS.isAddress(endpoint.address), let addresses = dns.addresses(of: endpoint.address) else {
                expanded.append(endpoint)
                continue
            }
            for address in addresses {
                var resolved = endpoint
                resolved.address = address
                expanded.append(resolved)
            }
        }
        return expanded
    }
}
