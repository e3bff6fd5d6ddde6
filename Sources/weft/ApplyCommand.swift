import ArgumentParser
import Foundation
import WeftAPI

/// `weft apply -f PATH`: create or update resources; all documents or none.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Create or update resources from files (all of them, or none when any is invalid).")

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A file, a directory, or - for standard input. Repeatable.")
    var files: [String] = []

    @Option(name: [.customShort("n"), .customLong("namespace")], help: "Namespace for resources that name none (as kubectl apply -n).")
    var namespace: String?

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one -f PATH") }
    }

    mutating func run() async throws {
        let inputs = try ClientInputs.read(files)
        let query = namespace.map { ["namespace": $0] } ?? [:]
        let reply = try await ClientInputs.call { [controlPlane] in try await controlPlane.client.sendDocuments("/api/v1/apply", inputs, query: query) }
        guard reply.status == 200 else {
            RejectionOutput.print(reply)
            throw ExitCode(1)
        }
        for result in reply.object["results"] as? [[String: Any]] ?? [] {
            print("\(KindNames.qualified(result["kind"] as? String ?? ""))/\(result["name"] as? String ?? "") \(result["action"] as? String ?? "")")
            for warning in result["warnings"] as? [[String: Any]] ?? [] {
                FileHandle.standardError.write(Data("Warning: \(warning["path"] as? String ?? ""): \(warning["message"] as? String ?? "")\n".utf8))
            }
        }
    }
}

/// `weft delete -f PATH` or `weft delete KIND NAME [-n NS]`.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete resources named in files, or one resource by kind and name.")

    @Argument(help: "KIND NAME, when not using -f.")
    var target: [String] = []

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A file, a directory, or - for standard input. Repeatable.")
    var files: [String] = []

    @Option(name: [.customShort("n"), .customLong("namespace")], help: "Namespace of KIND NAME.")
    var namespace: String = "default"

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func validate() throws {
        if files.isEmpty && target.count != 2 { throw ValidationError("use -f PATH, or KIND NAME") }
        if !files.isEmpty && !target.isEmpty { throw ValidationError("use either -f PATH or KIND NAME, not both") }
        if target.count == 2 && ResourceRegistry.type(named: target[0]) == nil { throw ValidationError("unknown kind \"\(target[0])\"") }
    }

    mutating func run() async throws {
        let client = controlPlane.client
        let reply: ControlPlaneClient.Reply
        if files.isEmpty {
            let (kind, name, namespace) = (target[0], target[1], self.namespace)
            reply = try await ClientInputs.call { try await client.send("DELETE", "/api/v1/resources", query: ["kind": kind, "name": name, "namespace": namespace]) }
        } else {
            let inputs = try ClientInputs.read(files)
            reply = try await ClientInputs.call { try await client.sendDocuments("/api/v1/delete", inputs) }
        }
        guard reply.status == 200 else {
            RejectionOutput.print(reply)
            throw ExitCode(1)
        }
        for result in reply.object["results"] as? [[String: Any]] ?? [] {
            print("\(KindNames.qualified(result["kind"] as? String ?? ""))/\(result["name"] as? String ?? "") deleted")
        }
    }
}

/// Shared plumbing of the client commands: reading inputs and reporting an unreachable control plane.
enum ClientInputs {
    static func read(_ files: [String]) throws -> [InputFiles.Input] {
        do {
            return try InputFiles.read(files)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    static func call(_ body: () async throws -> ControlPlaneClient.Reply) async throws -> ControlPlaneClient.Reply {
        do {
            return try await body()
        } catch let error as ControlPlaneClient.Unreachable {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// kubectl's `plural.group` names (`virtualservice.networking.istio.io`).
enum KindNames {
    static func qualified(_ kind: String) -> String {
        guard let type = ResourceRegistry.type(named: kind) else { return kind.lowercased() }
        let info = type.resourceType
        return info.group.isEmpty ? info.kind.lowercased() : "\(info.kind.lowercased()).\(info.group)"
    }
}
