import Foundation
import NIOHTTP1
import WeftModel

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

    /// nil when the request asks for no upgrade. The codec's rule (llhttp's, which the proxy's own
    /// keeps): `Connection` lists `upgrade` and an `Upgrade` header is present; after such a request
    /// it reads no more HTTP.
    static func of(_ head: ProxyRequestHead) -> HTTPUpgrade? {
        of(method: head.method, headers: head.headers)
    }

    /// The same from a head's parts (the request decoder reads them before it makes the head).
    static func of(method: HTTPMethod, headers: HeaderFields) -> HTTPUpgrade? {
        guard let protocols = headers.first("upgrade") else { return nil }
        return of(method: method, upgrade: protocols, connection: headers.first("connection"))
    }

    /// The same from the header values already found (`RequestHeadFacts` reads them).
    static func of(method: HTTPMethod, upgrade protocols: String, connection: String?) -> HTTPUpgrade? {
        guard method != .CONNECT, let connection,
              connection.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "upgrade" }) else { return nil }
        let first = protocols.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch first {
        case "websocket": return .websocket(protocols)
        case "h2c": return .h2c
        default: return .refused
        }
    }
}

/// What the proxy needs from a request's headers beyond routing: an
/// upgrade asked for, a gRPC call, an `Expect: 100-continue`.
struct RequestHeadFacts {
    var upgrade: HTTPUpgrade?
    var grpc = false
    var expectsContinue = false

    init(_ head: borrowing ProxyRequestHead) {
        // Looked up by name in the head's bytes: no String is made unless the header is there.
        let headers = head.headers
        expectsContinue = headers.contains("expect") && headers.lists("100-continue", in: "expect")
        // The first Content-Type, as Envoy reads it (each field after it was compared by name to find more).
        grpc = headers.withFirstValue("content-type") { value in Self.startsWithGRPC(value) } ?? false
        if let upgradeValue = headers.first("upgrade") {
            let connection = headers.contains("connection") ? headers.values(name: "connection").joined(separator: ",") : nil
            upgrade = HTTPUpgrade.of(method: head.method, upgrade: upgradeValue, connection: connection)
        }
    }

    /// `application/grpc` begins the value (`+proto`, `+json` and parameters may follow); compared
    /// as bytes (a generic `starts(with:)` cost ~90 instructions).
    private static func startsWithGRPC(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix: StaticString = "application/grpc"
        guard value.count >= prefix.utf8CodeUnitCount, let start = value.baseAddress else { return false }
        return memcmp(start, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }
}
