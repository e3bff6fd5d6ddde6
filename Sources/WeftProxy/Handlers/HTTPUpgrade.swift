import Foundation
import NIOHTTP1

/// An HTTP/1.1 request asking to switch protocols, as Envoy configured by Istio treats it: Istio
/// enables only the `websocket` upgrade, so a WebSocket handshake is proxied (and the connection
/// spliced after the 101), `h2c` is dropped by the codec (the request goes on as HTTP/1.1), and any
/// other upgrade is refused with 403 (`upgrade_failed`).
enum HTTPUpgrade: Equatable {
    /// Proxied: the `Upgrade` header's value goes upstream with `Connection: upgrade`.
    case websocket(String)
    /// Served as a plain HTTP/1.1 request.
    case h2c
    case refused

    /// nil when the request asks for no upgrade. The codec's rule (llhttp's): `Connection` lists
    /// `upgrade` and an `Upgrade` header is present; after such a request it reads no more HTTP.
    static func of(_ head: HTTPRequestHead) -> HTTPUpgrade? {
        guard let protocols = head.headers.first(name: "upgrade"), head.method != .CONNECT,
              head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }) else { return nil }
        let first = protocols.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch first {
        case "websocket": return .websocket(protocols)
        case "h2c": return .h2c
        default: return .refused
        }
    }
}
