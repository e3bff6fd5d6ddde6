import ArgumentParser
import Foundation
import WeftAPI
import Yams

/// `weft get KIND [NAME] [-n NS | -A] [-o yaml|json|wide]`.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "List resources, with each one's analysis state.")

    /// Output formats, as kubectl names them.
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, wide, yaml, json }

    @Argument(help: "Kind: name, plural or short name (vs, dr, gw, se, svc, ...).")
    var kind: String

    @Argument(help: "Name of one resource.")
    var name: String?

    @Option(name: [.customShort("n"), .customLong("namespace")], help: "Namespace (default: default).")
    var namespace: String = "default"

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across namespaces.")
    var allNamespaces = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "yaml, json or wide.")
    var format: Format = .table

    @Flag(name: [.customShort("w"), .customLong("watch")], help: "After listing, print each change as it is stored (until interrupted).")
    var watch = false

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func validate() throws {
        if ResourceRegistry.type(named: kind) == nil {
            throw ValidationError("unknown kind \"\(kind)\"; Weft reads \(ResourceRegistry.supportedKindNames.joined(separator: ", "))")
        }
    }

    mutating func run() async throws {
        guard let type = ResourceRegistry.type(named: kind) else { throw ExitCode(2) }
        let info = type.resourceType
        var query = ["kind": info.kind, "waitForAnalysis": "true"]
        if info.namespaced && !allNamespaces { query["namespace"] = namespace }
        if let name { query["name"] = name }
        let client = controlPlane.client
        let reply = try await ClientInputs.call { try await client.send("GET", "/api/v1/resources", query: query) }
        guard reply.status == 200 else {
            RejectionOutput.print(reply)
            throw ExitCode(1)
        }
        let items = reply.object["items"] as? [[String: Any]] ?? []
        for item in items {
            if let error = item["error"] as? String {
                FileHandle.standardError.write(Data("Error: \(item["key"] as? String ?? ""): \(error)\n".utf8))
            }
        }
        if let name, items.isEmpty {
            FileHandle.standardError.write(Data("Error from server (NotFound): \(info.group.isEmpty ? info.plural : "\(info.plural).\(info.group)") \"\(name)\" not found\n".utf8))
            throw ExitCode(1)
        }
        switch format {
        case .json:
            let objects = items.compactMap { $0["object"] }
            let value: Any = name != nil && objects.count == 1 ? objects[0] : ["apiVersion": "v1", "kind": "List", "items": objects]
            let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        case .yaml:
            let objects = items.compactMap { $0["object"] }
            let value: Any = name != nil && objects.count == 1 ? objects[0] : ["apiVersion": "v1", "kind": "List", "items": objects]
            print(try Yams.dump(object: value, sortKeys: true), terminator: "")
        case .table, .wide:
            if items.isEmpty {
                FileHandle.standardError.write(Data("No resources found\(info.namespaced && !allNamespaces ? " in \(namespace) namespace" : "").\n".utf8))
            } else {
                print(GetTable.render(items, showNamespace: allNamespaces && info.namespaced, wide: format == .wide))
            }
        }
        if watch { try await watchChanges(since: reply.object["revision"] as? Int ?? 0, query: query, client: client) }
    }

    /// Long-polls the config API's watch and prints one line per change: event, resource, revision.
    private func watchChanges(since start: Int, query: [String: String], client: ControlPlaneClient) async throws {
        var since = start
        var watchQuery = query.filter { $0.key != "waitForAnalysis" && $0.key != "name" }
        watchQuery["timeout"] = "20"
        while true {
            watchQuery["since"] = String(since)
            let reply = try await ClientInputs.call { try await client.send("GET", "/api/v1/watch", query: watchQuery) }
            // 410: the control plane restarted or the history moved on; carry on from its revision.
            since = reply.object["revision"] as? Int ?? since
            for event in reply.object["events"] as? [[String: Any]] ?? [] where name == nil || event["name"] as? String == name {
                let namespace = event["namespace"] as? String ?? ""
                let resource = (namespace.isEmpty ? "" : namespace + "/") + (event["name"] as? String ?? "")
                let line = "\((event["type"] as? String ?? "").padding(toLength: 10, withPad: " ", startingAt: 0))\(resource)   \(event["resourceVersion"] ?? "")\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        }
    }
}

/// kubectl-style columns: NAMESPACE, NAME, REVISION, ANALYSIS (IST codes, or OK) and, wide, the messages.
enum GetTable {
    static func render(_ items: [[String: Any]], showNamespace: Bool, wide: Bool) -> String {
        var rows: [[String]] = [(showNamespace ? ["NAMESPACE"] : []) + ["NAME", "REVISION", "ANALYSIS"] + (wide ? ["MESSAGES"] : [])]
        for item in items {
            let object = item["object"] as? [String: Any] ?? [:]
            let metadata = object["metadata"] as? [String: Any] ?? [:]
            let analysis = item["analysis"] as? [[String: Any]] ?? []
            let codes = analysis.map { "\($0["level"] as? String ?? ""):\($0["code"] as? String ?? "")" }
            var row: [String] = showNamespace ? [metadata["namespace"] as? String ?? ""] : []
            let error = item["error"] as? String
            let state = error != nil ? "Error:Unreadable" : codes.isEmpty ? "OK" : codes.joined(separator: ",")
            row += [metadata["name"] as? String ?? "", "\(item["resourceVersion"] ?? "")", state]
            if wide { row.append(error ?? analysis.map { $0["message"] as? String ?? "" }.joined(separator: " | ")) }
            rows.append(row)
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0) }.joined()
        }.joined(separator: "\n")
    }
}
