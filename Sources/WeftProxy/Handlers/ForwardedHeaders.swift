import Foundation
import NIOHTTP1
import WeftModel

/// The header work Envoy does when forwarding: hop-by-hop headers removed, `x-request-id` kept or
/// created, `x-forwarded-for` and `x-forwarded-proto` added, route header edits applied.
enum ForwardedHeaders {
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"]

    static func request(_ head: HTTPRequestHead, originForm: String, clientAddress: String?, scheme: String, edits: HeaderEdits?,
                        clientCertificate: ForwardedClientCert = .keep) -> HTTPRequestHead {
        // The client's headers as they are, less what stops here: not re-added one by one (NIO checks
        // each header it is given). Room for what is added on the way (x-request-id, x-forwarded-*,
        // XFCC, peer metadata, trace context, edits): the array is copied once, not grown.
        var headers = head.headers
        headers.reserveCapacity(head.headers.count + 12 + (edits.map { $0.requestSet.count + $0.requestAdd.count } ?? 0))
        let listed = connectionListed(head.headers)
        var dropped: [String] = []
        var trailers = false
        for (name, value) in head.headers {
            if !listed.isEmpty, listed.contains(name.lowercased()) {
                dropped.append(name)
            } else if isHopByHop(name) {
                dropped.append(name)
                // As Envoy does: `te: trailers` goes on (gRPC needs it end to end); other TE values stop here.
                if name.utf8.count == 2, value.lowercased().contains("trailers") { trailers = true }
            }
        }
        for name in dropped { headers.remove(name: name) }
        if trailers { headers.add(name: "te", value: "trailers") }
        if !headers.contains(name: "x-request-id") { headers.add(name: "x-request-id", value: RequestID.next()) }
        if !headers.contains(name: "x-forwarded-proto") { headers.add(name: "x-forwarded-proto", value: scheme) }
        if let clientAddress {
            if let existing = headers.first(name: "x-forwarded-for") {
                headers.replaceOrAdd(name: "x-forwarded-for", value: "\(existing), \(clientAddress)")
            } else {
                headers.add(name: "x-forwarded-for", value: clientAddress)
            }
        }
        switch clientCertificate {
        case .keep: break
        case .sanitize: headers.remove(name: "x-forwarded-client-cert")
        case .set(let value): headers.replaceOrAdd(name: "x-forwarded-client-cert", value: value)
        }
        if let edits {
            for (name, value) in edits.requestSet { headers.replaceOrAdd(name: name, value: value) }
            for (name, value) in edits.requestAdd { headers.add(name: name, value: value) }
            for name in edits.requestRemove { headers.remove(name: name) }
        }
        var forwarded = HTTPRequestHead(version: .http1_1, method: head.method, uri: originForm, headers: headers)
        forwarded.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        return forwarded
    }

    static func response(_ head: HTTPResponseHead, version: HTTPVersion, edits: HeaderEdits?) -> HTTPResponseHead {
        var headers = head.headers
        headers.reserveCapacity(head.headers.count + 4 + (edits.map { $0.responseSet.count + $0.responseAdd.count } ?? 0))
        for (name, _) in head.headers where isHopByHop(name) { headers.remove(name: name) }
        if let edits {
            for (name, value) in edits.responseSet { headers.replaceOrAdd(name: name, value: value) }
            for (name, value) in edits.responseAdd { headers.add(name: name, value: value) }
            for name in edits.responseRemove { headers.remove(name: name) }
        }
        return HTTPResponseHead(version: version, status: head.status, headers: headers)
    }

    /// `text` starts with `prefix` (lower-case ASCII), in any case; nothing is copied.
    static func hasPrefixIgnoringCase(_ text: String, _ prefix: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        var bytes = text.utf8.makeIterator()
        for byte in expected {
            guard let next = bytes.next(), next | (next >= 65 && next <= 90 ? 0x20 : 0) == byte else { return false }
        }
        return true
    }

    /// Only names of a hop-by-hop header's length are lower-cased and looked up: most headers are not.
    static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2, 7, 10, 16, 18, 19: return hopByHop.contains(name.lowercased())
        default: return false
        }
    }

    /// Header names the `Connection` header lists to be dropped (`keep-alive` and `close` list none).
    static func connectionListed(_ headers: HTTPHeaders) -> Set<String> {
        guard let value = headers.first(name: "connection") else { return [] }
        let lowered = value.lowercased()
        if lowered == "keep-alive" || lowered == "close" { return [] }
        return Set(lowered.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// `http://host:port/path?q` (proxy form) → ("host:port", "/path?q"); origin form keeps the Host header.
    static func target(of head: HTTPRequestHead) -> (authority: String, originForm: String) {
        let uri = head.uri
        for scheme: StaticString in ["http://", "https://"] where hasPrefixIgnoringCase(uri, scheme) {
            // Bytes, not Characters: '/' and '?' are ASCII, so where they are is where the parts split.
            let bytes = uri.utf8
            let start = bytes.index(bytes.startIndex, offsetBy: scheme.utf8CodeUnitCount)
            if let slash = bytes[start...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) {
                let path = uri[slash...]
                return (String(uri[start..<slash]), bytes[slash] == UInt8(ascii: "?") ? "/" + path : String(path))
            }
            return (String(uri[start...]), "/")
        }
        return (head.headers.first(name: "host") ?? "", uri)
    }
}

/// What the proxy does with `X-Forwarded-Client-Cert` (Istio's inbound sidecars: SANITIZE_SET).
enum ForwardedClientCert: Equatable {
    /// Outbound and gateways: left as the client sent it.
    case keep
    /// Inbound plaintext: removed, so no one can claim an identity without proving it.
    case sanitize
    /// Inbound mutual TLS: replaced with the proved peer's.
    case set(String)
}
