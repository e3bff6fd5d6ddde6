import ArgumentParser
import Foundation

/// `weft token create --namespace NS --service-account SA [--ttl D]`: a credential that lets a
/// sidecar elsewhere (`weft run --token-file F`) take that identity's certificate, and nothing else.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Workload credentials.", subcommands: [TokenCreateCommand.self])
}

/// Prints a new workload token (needs the administrator's credential, found on this host).
struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Issue a token for one namespace and service account.")

    @Option(name: [.customShort("n"), .long], help: "Namespace.")
    var namespace: String

    @Option(name: .customLong("service-account"), help: "Service account.")
    var serviceAccount: String

    @Option(help: "How long it is valid (an Istio duration: 1h, 24h); default forever.")
    var ttl: String?

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func run() async throws {
        let client = controlPlane.client
        let body = try JSONSerialization.data(withJSONObject: ["namespace": namespace, "serviceAccount": serviceAccount, "ttl": ttl ?? ""])
        let reply = try await ClientInputs.call { try await client.send("POST", "/api/v1/tokens", body: body) }
        guard reply.status == 200, let token = reply.object["token"] as? String else {
            FileHandle.standardError.write(Data("error: \(reply.object["error"] as? String ?? "request failed (\(reply.status))")\n".utf8))
            throw ExitCode(1)
        }
        print(token)
    }
}
