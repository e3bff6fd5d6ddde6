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

    /// The cluster named `name`.
    public subscript(name: String) -> ClusterConfig? {
        positions[name].map { all[$0] }
    }
}
