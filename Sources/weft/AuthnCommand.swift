import ArgumentParser
import Foundation

/// `weft authn tls-check POD [SERVICE]`: istioctl's mutual TLS troubleshooting table.
struct AuthnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "authn", abstract: "Authentication troubleshooting.", subcommands: [TLSCheckCommand.self])
}

/// Prints `HOST:PORT STATUS SERVER CLIENT AUTHN POLICY` for each service port POD can call.
struct TLSCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls-check",
        abstract: "For each service POD calls: what its servers accept (PeerAuthentication), what POD sends (DestinationRule or auto mTLS), OK or CONFLICT."
    )

    @Argument(help: "The proxy id (as weft proxy-status shows it).")
    var pod: String

    @Argument(help: "Only this service (a host name or its short form).")
    var service: String?

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func run() async throws {
        let client = controlPlane.client
        let query = ["proxy": pod, "service": service ?? ""]
        let reply = try await ClientInputs.call { try await client.send("GET", "/api/v1/tls-check", query: query) }
        guard reply.status == 200 else {
            FileHandle.standardError.write(Data("error: \(reply.object["error"] as? String ?? "request failed (\(reply.status))")\n".utf8))
            throw ExitCode(1)
        }
        var rows = [["HOST:PORT", "STATUS", "SERVER", "CLIENT", "AUTHN POLICY"]]
        for row in reply.object["rows"] as? [[String: Any]] ?? [] {
            rows.append(["\(row["host"] as? String ?? ""):\(row["port"] as? Int ?? 0)", row["status"] as? String ?? "", row["server"] as? String ?? "",
                         row["client"] as? String ?? "", row["policy"] as? String ?? ""])
        }
        print(Table.render(rows))
    }
}
