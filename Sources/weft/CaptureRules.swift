/// The iptables rules of a pod in transparent mode, as `istio-iptables` writes them (its chain
/// names, its exemptions): every outbound TCP connection to 15001 and every inbound one to 15006,
/// the app's DNS queries to the sidecar's 15053, the sidecar's own traffic (its group) exempt, and
/// the pod template's `traffic.sidecar.istio.io/*` annotations honoured. In the pod's network
/// namespace only (`iptables-restore` input); the host's rules are never touched.
struct CaptureRules: Equatable {
    /// The group the sidecar runs as (Istio's proxy UID and GID, 1337).
    static let proxyGroup = 1337
    /// Ports never captured inbound: the sidecar's own (admin, metrics, health), as Istio's defaults.
    static let sidecarPorts = [15000, 15020, 15021, 15090]

    var includeOutboundIPRanges: [String]? = nil
    var excludeOutboundIPRanges: [String] = []
    var excludeOutboundPorts: [Int] = []
    var excludeInboundPorts: [Int] = []
    /// `includeInboundPorts`: `*` (nil) captures every port; a list only those.
    var includeInboundPorts: [Int]? = nil

    /// Thrown for an annotation value that is not a list of ports or CIDRs.
    struct InvalidAnnotation: Error, CustomStringConvertible {
        var annotation: String
        var value: String
        var reason: String
        var description: String { "annotation \(annotation): \"\(value)\": \(reason)" }
    }

    /// Reads Istio's `traffic.sidecar.istio.io/*` annotations.
    init(annotations: [String: String]) throws {
        func list(_ key: String) -> [String]? {
            annotations["traffic.sidecar.istio.io/\(key)"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        func ports(_ key: String) throws -> [Int]? {
            try list(key).map { values in
                try values.map { value in
                    guard let port = Int(value), (1...65535).contains(port) else {
                        throw InvalidAnnotation(annotation: "traffic.sidecar.istio.io/\(key)", value: value, reason: "not a port number")
                    }
                    return port
                }
            }
        }
        func ranges(_ key: String) throws -> [String]? {
            try list(key).map { values in
                try values.map { value in
                    guard value == "*" || Self.isCIDR(value) else {
                        throw InvalidAnnotation(annotation: "traffic.sidecar.istio.io/\(key)", value: value, reason: "not an IPv4 CIDR (a.b.c.d/n) or *")
                    }
                    return value
                }
            }
        }
        if let include = try ranges("includeOutboundIPRanges"), !include.contains("*") { includeOutboundIPRanges = include }
        excludeOutboundIPRanges = try ranges("excludeOutboundIPRanges") ?? []
        excludeOutboundPorts = try ports("excludeOutboundPorts") ?? []
        excludeInboundPorts = try ports("excludeInboundPorts") ?? []
        if let include = list("includeInboundPorts"), !include.contains("*") {
            includeInboundPorts = try ports("includeInboundPorts")
        }
    }

    init() {}

    /// `iptables-restore` input for the nat table.
    var restoreInput: String {
        var lines = ["*nat", ":WEFT_INBOUND - [0:0]", ":WEFT_IN_REDIRECT - [0:0]", ":WEFT_OUTPUT - [0:0]", ":WEFT_REDIRECT - [0:0]"]
        lines.append("-A WEFT_REDIRECT -p tcp -j REDIRECT --to-ports 15001")
        lines.append("-A WEFT_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006")
        // Inbound: every port but the sidecar's own and the excluded (or only the included).
        lines.append("-A PREROUTING -p tcp -j WEFT_INBOUND")
        if let include = includeInboundPorts {
            for port in include where !excludeInboundPorts.contains(port) { lines.append("-A WEFT_INBOUND -p tcp --dport \(port) -j WEFT_IN_REDIRECT") }
        } else {
            for port in Self.sidecarPorts + excludeInboundPorts { lines.append("-A WEFT_INBOUND -p tcp --dport \(port) -j RETURN") }
            lines.append("-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT")
        }
        // Outbound: the sidecar's own connections go where they were sent (to the app from 127.0.0.6,
        // as istio-iptables; to its own pod's other addresses through its inbound port); loopback stays local.
        lines.append("-A OUTPUT -p tcp -j WEFT_OUTPUT")
        lines.append("-A WEFT_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN")
        lines.append("-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --gid-owner \(Self.proxyGroup) -j WEFT_IN_REDIRECT")
        lines.append("-A WEFT_OUTPUT -m owner --gid-owner \(Self.proxyGroup) -j RETURN")
        lines.append("-A WEFT_OUTPUT -d 127.0.0.1/32 -j RETURN")
        for port in excludeOutboundPorts { lines.append("-A WEFT_OUTPUT -p tcp --dport \(port) -j RETURN") }
        for range in excludeOutboundIPRanges where range != "*" { lines.append("-A WEFT_OUTPUT -d \(range) -j RETURN") }
        if excludeOutboundIPRanges.contains("*") {
            lines.append("-A WEFT_OUTPUT -j RETURN")
        } else if let include = includeOutboundIPRanges {
            for range in include { lines.append("-A WEFT_OUTPUT -d \(range) -j WEFT_REDIRECT") }
            lines.append("-A WEFT_OUTPUT -j RETURN")
        } else {
            lines.append("-A WEFT_OUTPUT -j WEFT_REDIRECT")
        }
        // DNS: the app's queries, to whichever server, go to the sidecar (Istio's DNS capture).
        lines.append("-A OUTPUT -p udp --dport 53 -m owner ! --gid-owner \(Self.proxyGroup) -j REDIRECT --to-ports 15053")
        lines.append("COMMIT")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CIDR, or a lone address (a /32).
    static func isCIDR(_ text: String) -> Bool {
        AddressRange(text.contains("/") ? text : text + "/32") != nil
    }
}
