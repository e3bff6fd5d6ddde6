import WeftModel

/// A configuration's clusters by name, over the configuration's own array: a cluster is a large
/// value (its policies inline), so a second copy of each in a dictionary would double what a
/// sidecar with thousands of clusters in view holds.
public struct ClusterTable: Sendable {
    private let all: [ClusterConfig]
    private let entries: [String: Entry]

    /// What a request needs of a cluster name, found with one lookup: the cluster (if configured),
    /// its endpoints and its TLS server name.
    struct Entry: Sendable {
        var position: Int?
        var endpoints: [EndpointGroup.Endpoint] = []
        var serverName: String?
    }

    init(_ clusters: [ClusterConfig], endpoints: [String: [EndpointGroup.Endpoint]] = [:], serverNames: [String: String] = [:]) {
        all = clusters
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(clusters.count)
        // The first of a name wins, as Envoy keeps the first of duplicate clusters.
        for (position, cluster) in clusters.enumerated() where entries[cluster.name] == nil {
            entries[cluster.name] = Entry(position: position, serverName: serverNames[cluster.name])
        }
        for (name, list) in endpoints { entries[name, default: Entry()].endpoints = list }
        self.entries = entries
    }

    /// The cluster named `name`, read where it lies.
    public subscript(name: String) -> ClusterView? {
        entries[name]?.position.map { ClusterView(clusters: all, position: $0) }
    }

    /// The cluster named `name` (nil when none is configured), its endpoints and its TLS server name.
    func lookup(_ name: String) -> Found {
        guard let entry = entries[name] else { return Found(cluster: nil, endpoints: [], serverName: nil) }
        return Found(cluster: entry.position.map { ClusterView(clusters: all, position: $0) }, endpoints: entry.endpoints, serverName: entry.serverName)
    }

    /// What `lookup(_:)` finds for a name.
    struct Found: Sendable {
        var cluster: ClusterView?
        var endpoints: [EndpointGroup.Endpoint]
        var serverName: String?
    }
}

/// One cluster of a table, read in place: a copy of a `ClusterConfig` retains each of its dozen
/// strings and arrays, and a request reads a few of its fields (three copies were ~1 % of a request).
public struct ClusterView: Sendable {
    private let clusters: [ClusterConfig]
    private let position: Int

    init(clusters: [ClusterConfig], position: Int) {
        self.clusters = clusters
        self.position = position
    }

    /// A view of a cluster that is in no table (tests, simulations).
    public init(_ config: ClusterConfig) {
        self.init(clusters: [config], position: 0)
    }

    public var config: ClusterConfig {
        _read { yield clusters[position] }
    }
}
