import Foundation
import WeftAPI
import WeftHTTPServer

/// Who may use which part of the config API: every write, token issuing, and anything that shows
/// a Secret need the administrator's credential (`Authorization: Bearer TOKEN`); reads of
/// everything else are open on the API's address. A request without a valid credential gets 401,
/// one with a workload's credential 403, and changes nothing.
extension ConfigAPI {
    /// Whether the request may go on; the answer to give when it may not.
    func authorize(_ request: APIRequest) -> APIResponse? {
        guard let credentials, Self.needsAdministrator(request) else { return nil }
        switch credentials.verify(MeshCredentials.bearer(request.headers.first(name: "authorization"))) {
        case .success(.administrator):
            return nil
        case .success(let holder):
            return Self.json(.forbidden, ["error": "\(request.method) \(request.path) needs the administrator's credential, not \(holder)'s"])
        case .failure(let refusal):
            var response = Self.json(.unauthorized, ["error": "\(refusal); nothing was changed"])
            response.headers.append((name: "www-authenticate", value: "Bearer"))
            return response
        }
    }

    /// Whether the request holds the administrator's credential (to see Secrets in a listing).
    func isAdministrator(_ request: APIRequest) -> Bool {
        guard let credentials else { return true }
        if case .success(.administrator) = credentials.verify(MeshCredentials.bearer(request.headers.first(name: "authorization"))) { return true }
        return false
    }

    static func needsAdministrator(_ request: APIRequest) -> Bool {
        switch (request.method, request.path) {
        case (.POST, "/api/v1/apply"), (.POST, "/api/v1/delete"), (.DELETE, "/api/v1/resources"), (.POST, "/api/v1/tokens"): return true
        // A listing or watch of every kind leaves Secrets out for anyone else (isAdministrator).
        case (.GET, "/api/v1/resources"), (.GET, "/api/v1/watch"): return request.query["kind"].map { ["secret", "secrets"].contains($0.lowercased()) } ?? false
        default: return false
        }
    }

    /// `POST /api/v1/tokens` `{"namespace","serviceAccount","ttl"}`: a workload credential (`weft token create`).
    func issueToken(_ request: APIRequest) -> APIResponse {
        guard let credentials else { return Self.json(.notFound, ["error": "this control plane issues no credentials"]) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any],
              let namespace = object["namespace"] as? String, !namespace.isEmpty,
              let account = object["serviceAccount"] as? String, !account.isEmpty else {
            return Self.json(.badRequest, ["error": "give namespace and serviceAccount"])
        }
        var ttl: Duration?
        if let text = object["ttl"] as? String, !text.isEmpty {
            guard let parsed = try? IstioDuration(parsing: text), parsed.nanoseconds >= 1_000_000_000 else {
                return Self.json(.badRequest, ["error": "ttl must be a duration of at least 1s such as 24h, got \"\(text)\""])
            }
            ttl = .nanoseconds(parsed.nanoseconds)
        }
        let token = credentials.issue(.workload(namespace: namespace, serviceAccount: account), ttl: ttl)
        return Self.json(.ok, ["token": token, "namespace": namespace, "serviceAccount": account])
    }
}
