import ArgumentParser
import Foundation

/// `weft x`: experimental commands (istioctl's `x`).
struct ExperimentalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "x", abstract: "Experimental commands.", subcommands: [AuthzCommand.self])
}

/// `weft x authz check POD`.
struct AuthzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "authz", abstract: "Authorization troubleshooting.", subcommands: [AuthzCheckCommand.self])
}

/// Lists the AuthorizationPolicies that apply to POD's workload; with `--request`, evaluates that
/// request with the proxy's engine and prints the decision and the policy and rule that made it.
struct AuthzCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "The policies that apply to a workload; with --request, the decision for one request.")

    @Argument(help: "The proxy id (as weft proxy-status shows it).")
    var pod: String

    @Option(help: "A request to evaluate: 'METHOD /path'.")
    var request: String?

    @Option(help: "The caller's identity, NAMESPACE/SERVICEACCOUNT (none: a plaintext caller).")
    var from: String?

    @Option(help: "The Host header.")
    var host: String?

    @Option(help: "The workload port (default: its first).")
    var port: Int?

    @Option(name: .customLong("header"), help: "A request header, name=value (repeatable).")
    var headers: [String] = []

    @Option(help: "A file holding the end user's JWT, verified as the proxy verifies it before the policies are read.")
    var jwt: String?

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func run() async throws {
        var query = ["proxy": pod]
        if let request {
            let parts = request.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--request is 'METHOD /path', e.g. 'GET /productpage'") }
            query["method"] = String(parts[0]).uppercased()
            query["path"] = String(parts[1])
        }
        if let from { query["from"] = from }
        if let host { query["host"] = host }
        if let port { query["port"] = String(port) }
        if !headers.isEmpty {
            query["headers"] = headers.map { $0.replacingOccurrences(of: "=", with: ":", options: [], range: $0.range(of: "=")) }.joined(separator: "\n")
        }
        if let jwt {
            guard request != nil else { throw ValidationError("--jwt needs --request") }
            do {
                query["jwt"] = try String(contentsOfFile: jwt, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                FileHandle.standardError.write(Data("error: cannot read --jwt \(jwt): \(error.localizedDescription)\n".utf8))
                throw ExitCode(2)
            }
        }
        let client = controlPlane.client
        let asked = query
        let reply = try await ClientInputs.call { try await client.send("GET", "/api/v1/authz-check", query: asked) }
        guard reply.status == 200 else {
            FileHandle.standardError.write(Data("error: \(reply.object["error"] as? String ?? "request failed (\(reply.status))")\n".utf8))
            throw ExitCode(1)
        }
        var rows = [["ACTION", "AuthorizationPolicy", "RULES"]]
        for policy in reply.object["policies"] as? [[String: Any]] ?? [] {
            let rules = policy["rules"] as? [String] ?? []
            let action = (policy["action"] as? String ?? "") + ((policy["dryRun"] as? Bool) == true ? " (dry-run)" : "")
            rows.append([action, policy["name"] as? String ?? "", String(rules.count)])
            for (index, rule) in rules.enumerated() { rows.append(["", "  rule \(index)", rule]) }
        }
        print(Table.render(rows))
        if let authentication = reply.object["authentication"] as? [String: Any] {
            if (authentication["verified"] as? Bool) == true {
                print("\nJWT: verified, request principal \(authentication["principal"] as? String ?? "")")
            } else {
                print("\nJWT: refused: \(authentication["reason"] as? String ?? "")")
                print("\(request ?? ""): 401 (RequestAuthentication refuses the token before any policy is read)")
            }
        }
        if let decision = reply.object["decision"] as? [String: Any] {
            let allowed = decision["allowed"] as? Bool ?? false
            let policy = decision["policy"] as? String
            let rule = (decision["rule"] as? Int).map { ", rule \($0)" } ?? ""
            let reason = policy.map { "by \($0)\(rule)" } ?? (allowed ? "no policy applies" : "no ALLOW policy matched")
            print("\n\(request ?? ""): \(allowed ? "ALLOW" : "DENY") \(reason)")
            if let dryRun = decision["dryRun"] as? [String: Any] {
                print("with dry-run policies: \((dryRun["allowed"] as? Bool) == true ? "ALLOW" : "DENY") \((dryRun["policy"] as? String).map { $0.isEmpty ? "" : "by \($0)" } ?? "")")
            }
        }
    }
}
