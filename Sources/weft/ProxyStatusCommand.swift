import ArgumentParser
import Foundation
import WeftDiscovery

/// `weft proxy-status`: every connected proxy and whether it has the latest configuration.
struct ProxyStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proxy-status", abstract: "Show every proxy: id, namespace, labels, config version per type, SYNCED / STALE / NACKED.")

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func run() async throws {
        let client = controlPlane.client
        let reply = try await ClientInputs.call { try await client.send("GET", "/api/v1/proxies") }
        let proxies = reply.object["proxies"] as? [[String: Any]] ?? []
        var rows = [["NAME", "NAMESPACE", "LABELS", "CLUSTERS", "ENDPOINTS", "LISTENERS", "ROUTES", "STATUS"]]
        for proxy in proxies {
            let types = proxy["types"] as? [String: [String: Any]] ?? [:]
            func cell(_ type: String) -> String {
                guard let status = types[type] else { return "-" }
                if let nack = status["nack"] as? String { return "NACKED (\(nack))" }
                return (status["sent"] as? String) == (status["acked"] as? String) ? "SYNCED (\(status["acked"] as? String ?? ""))" : "STALE (\(status["sent"] as? String ?? ""))"
            }
            let labels = (proxy["labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            rows.append([proxy["id"] as? String ?? "", proxy["namespace"] as? String ?? "", labels,
                         cell(DiscoveryTypes.clusters), cell(DiscoveryTypes.endpoints), cell(DiscoveryTypes.listeners), cell(DiscoveryTypes.routes), proxy["state"] as? String ?? ""])
        }
        print(Table.render(rows))
    }
}

/// `weft proxy-config routes|clusters|endpoints|listeners|secret PROXY [-o json]`.
struct ProxyConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proxy-config", abstract: "Show the configuration a proxy was sent.")

    /// What to show.
    enum Section: String, ExpressibleByArgument, CaseIterable { case listeners, routes, clusters, endpoints, secret, all }
    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "listeners, routes, clusters, endpoints, secret or all.")
    var section: Section

    @Argument(help: "The proxy id (see weft proxy-status).")
    var proxy: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json.")
    var format: Format = .table

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func run() async throws {
        let client = controlPlane.client
        let proxy = self.proxy
        if section == .secret {
            try await Self.showSecrets(proxy: proxy, client: client, json: format == .json)
            return
        }
        let reply = try await ClientInputs.call { try await client.send("GET", "/api/v1/proxy-config", query: ["proxy": proxy]) }
        guard reply.status == 200, let configuration = reply.object["configuration"] as? [String: Any] else {
            FileHandle.standardError.write(Data("error: \(reply.object["error"] as? String ?? "no such proxy")\n".utf8))
            throw ExitCode(1)
        }
        let listeners = configuration["listeners"] as? [[String: Any]] ?? []
        let routeTables = configuration["routeTables"] as? [[String: Any]] ?? []
        let clusters = configuration["clusters"] as? [[String: Any]] ?? []
        var endpoints = configuration["endpoints"] as? [[String: Any]] ?? []
        if section == .endpoints || section == .all { endpoints = await Self.withHealth(endpoints, proxy: proxy, client: client) }
        if format == .json {
            let value: Any
            switch section {
            case .routes: value = routeTables
            case .clusters: value = clusters
            case .endpoints: value = endpoints
            case .listeners: value = listeners
            case .all, .secret: value = configuration
            }
            let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        switch section {
        case .routes, .all:
            var rows = [["TABLE", "VIRTUAL HOST", "DOMAINS", "ROUTES"]]
            for table in routeTables {
                for host in table["virtualHosts"] as? [[String: Any]] ?? [] {
                    let routes = (host["routes"] as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "" }
                    rows.append([table["name"] as? String ?? "", host["name"] as? String ?? "", (host["domains"] as? [String] ?? []).joined(separator: ","), routes.joined(separator: ",")])
                }
            }
            print(Table.render(rows))
            if section == .routes { return }
            fallthrough
        case .clusters:
            var rows = [["CLUSTER", "TYPE", "LB", "SUBSET LABELS"]]
            for cluster in clusters {
                let labels = (cluster["subsetLabels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                // Envoy's discovery types, as istioctl shows them.
                let type = cluster["loadBalancer"] as? String == "passthrough" ? "ORIGINAL_DST"
                    : ["strict": "STRICT_DNS", "logical": "LOGICAL_DNS"][cluster["dnsLookup"] as? String ?? ""] ?? "EDS"
                rows.append([cluster["name"] as? String ?? "", type, cluster["loadBalancer"] as? String ?? "", labels])
            }
            print(Table.render(rows))
            if section == .clusters { return }
            fallthrough
        case .endpoints:
            var rows = [["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER", "WORKLOAD", "LOCALITY", "PRIORITY"]]
            for group in endpoints {
                for endpoint in group["endpoints"] as? [[String: Any]] ?? [] {
                    rows.append(["\(endpoint["address"] ?? ""):\(endpoint["port"] ?? "")", endpoint["status"] as? String ?? "UNKNOWN", endpoint["outlierCheck"] as? String ?? "UNKNOWN",
                                 group["cluster"] as? String ?? "", endpoint["workload"] as? String ?? "", endpoint["locality"] as? String ?? "", "\(endpoint["priority"] ?? 0)"])
                }
            }
            print(Table.render(rows))
        case .secret:
            break
        case .listeners:
            var rows = [["NAME", "PORT", "DIRECTION", "PROTOCOL", "CHAIN", "HOSTS"]]
            for listener in listeners {
                rows.append([listener["name"] as? String ?? "", "\(listener["port"] ?? "")", listener["direction"] as? String ?? "", listener["protocolName"] as? String ?? "",
                             Self.chain(listener), (listener["hosts"] as? [String] ?? []).joined(separator: ",")])
            }
            print(Table.render(rows))
        }
    }
}

extension ProxyConfigCommand {
    /// Where a listener's connections go, as its protocol decides: HTTP by a route table (or to the
    /// app port, inbound), TCP to weighted clusters, TLS by server name, AUTO sniffed between them.
    static func chain(_ listener: [String: Any]) -> String {
        let http = (listener["routeTable"] as? String).map { "http → routes \($0)" } ?? (listener["appPort"].map { "http → app port \($0)" } ?? "http")
        let destinations = (listener["tcpDestinations"] as? [[String: Any]] ?? []).map { "\($0["cluster"] ?? "")(\($0["weight"] ?? 0))" }.joined(separator: ",")
        let tcp = listener["appPort"].map { "tcp → app port \($0)" } ?? "tcp → " + (destinations.isEmpty ? "none" : destinations)
        switch listener["protocolName"] as? String ?? "HTTP" {
        case "TCP": return tcp
        case "TLS":
            let names = (listener["sniRoutes"] as? [[String: Any]] ?? []).map { route in
                let clusters = (route["destinations"] as? [[String: Any]] ?? []).map { "\($0["cluster"] ?? "")" }.joined(separator: ",")
                return ((route["sniHosts"] as? [String] ?? []).first ?? "") + "→" + clusters
            }
            return "sni: " + names.joined(separator: " ") + "; no sni → " + (destinations.isEmpty ? "none" : destinations)
        case "AUTO": return "sniffed: \(http) | \(tcp)"
        default: return http
        }
    }

    /// The admin API of `proxy`, at the address it registered with the control plane.
    static func adminEndpoint(of proxy: String, client: ControlPlaneClient) async -> ControlPlaneClient? {
        guard let list = try? await client.send("GET", "/api/v1/proxies").object["proxies"] as? [[String: Any]],
              let admin = list.first(where: { $0["id"] as? String == proxy })?["adminAddress"] as? String, !admin.isEmpty else { return nil }
        return ControlPlaneClient(base: "http://" + admin)
    }

    /// The proxy's certificates (its admin `/certs`), as `istioctl proxy-config secret` shows them.
    static func showSecrets(proxy: String, client: ControlPlaneClient, json: Bool) async throws {
        guard let admin = await adminEndpoint(of: proxy, client: client), let reply = try? await admin.send("GET", "/certs") else {
            FileHandle.standardError.write(Data("error: no such proxy, or its admin endpoint does not answer: \(proxy)\n".utf8))
            throw ExitCode(1)
        }
        let certificates = reply.object["certificates"] as? [[String: Any]] ?? []
        let credentials = reply.object["credentials"] as? [[String: Any]] ?? []
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["certificates": certificates, "credentials": credentials],
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var rows = [["RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE", "IDENTITY"]]
        let dates = ISO8601DateFormatter()
        for certificate in certificates {
            let notBefore = certificate["validFrom"] as? String ?? "", notAfter = certificate["validTo"] as? String ?? ""
            let now = Date()
            let valid = (dates.date(from: notBefore).map { $0 <= now } ?? false) && (dates.date(from: notAfter).map { now < $0 } ?? false)
            rows.append(["default", "Cert Chain", "ACTIVE", valid ? "true" : "false", certificate["serialNumber"] as? String ?? "", notAfter, notBefore,
                         certificate["identity"] as? String ?? ""])
            if let root = certificate["rootCertificate"] as? String, !root.isEmpty {
                rows.append(["ROOTCA", "CA", "ACTIVE", "true", "", "", "", ""])
            }
        }
        // A gateway's credentialName Secrets, as Envoy's SDS secrets show.
        for credential in credentials {
            let notBefore = credential["validFrom"] as? String ?? "", notAfter = credential["validTo"] as? String ?? ""
            let now = Date()
            let valid = (dates.date(from: notBefore).map { $0 <= now } ?? false) && (dates.date(from: notAfter).map { now < $0 } ?? false)
            rows.append([credential["name"] as? String ?? "", "Cert Chain", credential["status"] as? String ?? "", valid ? "true" : "false",
                         credential["serialNumber"] as? String ?? "", notAfter, notBefore, credential["reason"] as? String ?? ""])
        }
        print(Table.render(rows))
    }

    /// Adds each endpoint's health as the proxy sees it (its admin `/clusters`): an endpoint ejected
    /// by outlier detection is UNHEALTHY with its outlier check FAILED, as istioctl shows Envoy's.
    static func withHealth(_ groups: [[String: Any]], proxy: String, client: ControlPlaneClient) async -> [[String: Any]] {
        guard let admin = await adminEndpoint(of: proxy, client: client),
              let hosts = try? await admin.send("GET", "/clusters", query: ["format": "json"]).object["hosts"] as? [[String: Any]] else {
            return groups
        }
        var healthy: [String: Bool] = [:]
        for host in hosts { healthy["\(host["cluster"] as? String ?? "")|\(host["address"] as? String ?? "")"] = host["healthy"] as? Bool }
        return groups.map { group in
            var group = group
            let cluster = group["cluster"] as? String ?? ""
            group["endpoints"] = (group["endpoints"] as? [[String: Any]] ?? []).map { endpoint in
                var endpoint = endpoint
                let ok = healthy["\(cluster)|\(endpoint["address"] ?? ""):\(endpoint["port"] ?? "")"] ?? true
                endpoint["status"] = ok ? "HEALTHY" : "UNHEALTHY"
                endpoint["outlierCheck"] = ok ? "OK" : "FAILED"
                return endpoint
            }
            return group
        }
    }
}

/// Left-aligned columns separated by three spaces, as kubectl prints them.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = (0..<first.count).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0) }.joined()
        }.joined(separator: "\n")
    }
}
