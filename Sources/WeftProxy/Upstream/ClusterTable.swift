import WeftModel

/// A configuration's clusters by name, over the configuration's own array: a cluster is a large
/// value (its policies inline), so a second copy of each in a dictionary would double what a
/// sidecar with thousands of clusters in view holds.
public struct ClusterTable: Sendable {
    private let all: [ClusterConfig]
    private let positions: [String: Int]

    init(_ clusters: [ClusterConfig]) {
        all = clusters
        var positions: [String: Int] = [:]
        positions.reserveCapacity(clusters.count)
        // The first of a name wins, as Envoy keeps the first of duplicate clusters.
        for (position, cluster) in clusters.enumerated() where positions[cluster.name] == nil { positions[cluster.name] = position }
        self.positions = positions
    }

    /// The cluster named `name`, read where it lies.
    public subscript(name: String) -> ClusterView? {
        positions[name].map { ClusterView(clusters: all, position: $0) }
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
