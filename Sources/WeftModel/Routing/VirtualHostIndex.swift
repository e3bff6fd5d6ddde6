/// A route table's virtual hosts by domain, made once per configuration: the choice
/// `RouteSelector.virtualHost(in:for:)` makes by reading every domain of every host (exact, then the
/// longest `*suffix`, then `*`; the first host on a tie), made with one lookup and a walk over the
/// wildcard domains only, so a sidecar with a thousand services in view does not compare a request's
/// host with thousands of domains. A class: it is immutable, and each request reads it out of the
/// configuration's table (as a struct of a table and three collections it was copied per request).
public final class VirtualHostIndex: Sendable {
    /// The table indexed.
    public let table: RouteTable
    private let hosts: [VirtualHostConfig]
    /// Every domain as written → the hosts that list it, in table order.
    private let exact: [String: [Int]]
    /// Domains that start with `*`, in table order, with the suffix a host must end with.
    private let wildcards: [(host: Int, suffix: Substring, score: Int)]

    public init(_ table: RouteTable) {
        self.table = table
        hosts = table.virtualHosts
        var exact: [String: [Int]] = [:]
        var wildcards: [(host: Int, suffix: Substring, score: Int)] = []
        for (position, host) in table.virtualHosts.enumerated() {
            for domain in host.domains {
                if exact[domain]?.last != position { exact[domain, default: []].append(position) }
                if domain == "*" {
                    wildcards.append((position, "", 0))
                } else if domain.hasPrefix("*") {
                    wildcards.append((position, domain.dropFirst(), domain.count))
                }
            }
        }
        self.exact = exact
        self.wildcards = wildcards
    }

    /// The virtual host that answers `request`'s host and port.
    public func virtualHost(for request: RequestAttributes) -> VirtualHostConfig? {
        position(for: request).map { hosts[$0] }
    }

    /// Where the virtual host that answers `request` is among the table's hosts (`host(at:)`); nil when none does.
    public func position(for request: RequestAttributes) -> Int? {
        func accepts(_ host: VirtualHostConfig) -> Bool { host.port == nil || host.port == request.port }
        if let positions = exact[request.host] {
            for position in positions where accepts(hosts[position]) { return position }
        }
        var best: (position: Int, score: Int)?
        for wildcard in wildcards where accepts(hosts[wildcard.host]) && (wildcard.score == 0 || request.host.hasSuffix(wildcard.suffix)) {
            if best == nil || wildcard.score > best!.score { best = (wildcard.host, wildcard.score) }
        }
        return best?.position
    }

    /// The virtual host at `position` (from `position(for:)`).
    public func host(at position: Int) -> VirtualHostConfig {
        hosts[position]
    }
}
