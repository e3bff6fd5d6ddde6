import Foundation
import WeftModel

/// The control plane's API as tests read it: typed values decoded from its JSON, not dictionaries.
struct ProxyStatusEntry: Decodable {
    /// One resource type's sync state.
    struct TypeStatus: Decodable {
        var sent: String
        var acked: String
        var nack: String?
    }
    var id: String
    var namespace: String
    var labels: [String: String]
    var mode: String
    var podIP: String
    var adminAddress: String
    var types: [String: TypeStatus]
    var state: String
}

extension ControlPlaneProcess {
    /// Thrown when an API answer is not what the API promises.
    struct APIError: Error, CustomStringConvertible { var description: String }

    private func get<T: Decodable>(_ path: String, _ type: T.Type) throws -> T {
        guard let url = URL(string: self.url + path) else { throw APIError(description: "bad path \(path)") }
        let data = try Data(contentsOf: url)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw APIError(description: "\(path): \(error): \(String(decoding: data, as: UTF8.self))")
        }
    }

    /// `GET /api/v1/proxies`.
    func proxies() throws -> [ProxyStatusEntry] {
        struct Reply: Decodable { var proxies: [ProxyStatusEntry] }
        return try get("/api/v1/proxies", Reply.self).proxies
    }

    /// `GET /api/v1/proxy-config`: what the control plane last sent a proxy.
    func configuration(of proxyID: String) throws -> ProxyConfiguration {
        struct Reply: Decodable { var configuration: ProxyConfiguration }
        let id = proxyID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? proxyID
        return try get("/api/v1/proxy-config?proxy=" + id, Reply.self).configuration
    }
}
