import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import WeftHTTPServer

/// `--control-plane URL`, else `WEFT_CONTROL_PLANE`, else Istio's 15014 on loopback.
struct ControlPlaneOptions: ParsableArguments {
    @Option(name: .customLong("control-plane"), help: "The control plane's API URL (default: $WEFT_CONTROL_PLANE or http://127.0.0.1:15014).")
    var controlPlane: String?

    var url: String {
        controlPlane ?? ProcessInfo.processInfo.environment["WEFT_CONTROL_PLANE"] ?? "http://127.0.0.1:15014"
    }

    var client: ControlPlaneClient { ControlPlaneClient(base: url) }
}

/// Talks to the control plane's config API; every answer is JSON.
struct ControlPlaneClient {
    let base: String

    /// The control plane answered, with this status and JSON body.
    struct Reply {
        var status: Int
        var object: [String: Any]
    }

    /// The control plane could not be reached or did not answer in JSON.
    struct Unreachable: Error, CustomStringConvertible {
        var description: String
    }

    func send(_ method: String, _ path: String, query: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        var components = URLComponents(string: base + path)
        if !query.isEmpty { components?.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let components, components.scheme == "http" || components.scheme == "https", let host = components.host else {
            throw Unreachable(description: "invalid control plane URL \"\(base)\" (give http://HOST:PORT, or https:// beyond loopback)")
        }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        let tls = components.scheme == "https" ? try Self.tlsContext(root: LocalCredential.root(host: host, port: port)) : nil
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var headers: [(String, String)] = body == nil ? [] : [("content-type", "application/json")]
        if let token = LocalCredential.token(host: host, port: port) { headers.append(("authorization", "Bearer \(token)")) }
        var response: HTTPClient.Response?
        // A connection that fails before any answer (seen on loaded hosts: "I/O on closed channel") is
        // tried again, twice, after 100 and 300 ms: a GET always, any method when the request never
        // went out (the connection was closed before it could be written).
        for attempt in 1...3 where response == nil {
            do {
                response = try await HTTPClient(tls: tls).send(HTTPMethod(rawValue: method), host: host, port: port, path: target.isEmpty ? "/" : target,
                                                       headers: headers, body: body.map(Array.init) ?? [],
                                                       timeout: .seconds(30))
            } catch {
                let unsent = (error as? ChannelError) == .ioOnClosedChannel
                if attempt == 3 || !(method == "GET" || unsent) { throw Unreachable(description: "cannot reach the control plane at \(base): \(error)") }
                try? await Task.sleep(for: .milliseconds(attempt == 1 ? 100 : 300))
            }
        }
        guard let response else { throw Unreachable(description: "cannot reach the control plane at \(base)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw Unreachable(description: "the control plane at \(base) answered \(response.status) without JSON")
        }
        return Reply(status: response.status, object: object)
    }

    /// HTTPS to the control plane: checked against the mesh root when this host knows it, else the system's roots.
    static func tlsContext(root: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let root { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(root.utf8))) }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Sends documents in the envelope the apply and delete endpoints take, so errors name the files.
    func sendDocuments(_ path: String, _ inputs: [InputFiles.Input], query: [String: String] = [:]) async throws -> Reply {
        let envelope: [String: Any] = ["documents": inputs.map { ["file": $0.name, "text": $0.text] }]
        return try await send("POST", path, query: query, body: try JSONSerialization.data(withJSONObject: envelope))
    }
}

/// Prints the reports of a refused apply as `weft validate` does.
enum RejectionOutput {
    static func print(_ reply: ControlPlaneClient.Reply) {
        var text = "error: \(reply.object["error"] as? String ?? "request failed (\(reply.status))")\n"
        for report in reply.object["reports"] as? [[String: Any]] ?? [] {
            let file = report["file"] as? String ?? "?"
            let resource = report["resource"] as? String ?? "?"
            for error in report["errors"] as? [[String: Any]] ?? [] {
                text += "  \(file):\(error["line"] as? Int ?? 0): \(resource): \(error["path"] as? String ?? ""): \(error["message"] as? String ?? "")\n"
            }
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
