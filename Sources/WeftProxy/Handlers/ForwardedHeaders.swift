import Foundation
import NIOHTTP1
import WeftModel

/// The header work Envoy does when forwarding: hop-by-hop headers removed, `x-request-id` kept or
/// created, `x-forwarded-for` and `x-forwarded-proto` added, route header edits applied.
enum ForwardedHeaders {
    /// Headers that end at this hop (RFC 9110 §7.6.1, and the proxy ones Envoy drops too).
    static let hopByHopNames: HeaderNameSet = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"]

    /// Takes `head` over: its fields are edited where they are when nothing else holds them (the
    /// request decoder leaves room for the lines added). `requestID`: the bits of the id the proxy
    /// made for this request (`RequestID.draw()`), written when the head has none; without them a
    /// new id is made. The head keeps its method and target; it goes as HTTP/1.1, whose connections
    /// persist unless a side says `close`: no `Connection` of its own is added, as Envoy adds none
    /// (and the next sidecar has no hop-by-hop field to remove).
    /// `externalAddress`: a gateway's trusted client address, set as `x-envoy-external-address`.
    static func request(_ head: consuming ProxyRequestHead, clientAddress: String?, scheme: String, edits: HeaderEdits?,
                        clientCertificate: ForwardedClientCert = .keep, requestID: (UInt64, UInt64)? = nil, externalAddress: String? = nil) -> ProxyRequestHead {
        // The client's fields as they came (bytes), less what stops here, plus what is added on the way.
        // Edited as the parameter it is: bound to a `var` first, the head was copied and the parameter destroyed.
        head.version = .http1_1
        head.headers.reserveCapacity(head.headers.count + 12 + (edits.map { $0.requestSet.count + $0.requestAdd.count } ?? 0))
        edit(&head.headers, clientAddress: clientAddress, scheme: scheme, edits: edits, clientCertificate: clientCertificate, requestID: requestID)
        // Set, not added: a client's own value would claim an address the gateway did not see.
        if let externalAddress { head.headers.replaceOrAdd("x-envoy-external-address", value: externalAddress) }
        return head
    }

    /// The `Connection` an answer in HTTP `version` carries: `close` when the connection closes
    /// after it, `keep-alive` when an HTTP/1.0 client's stays open; none otherwise (HTTP/1.1's
    /// default, which Envoy does not write either).
    static func connection(keepAlive: Bool, version: HTTPVersion) -> String? {
        if !keepAlive { return "close" }
        return version.major == 1 && version.minor == 0 ? "keep-alive" : nil
    }

    private static func edit(_ headers: inout HeaderFields, clientAddress: String?, scheme: String, edits: HeaderEdits?,
                             clientCertificate: ForwardedClientCert, requestID: (UInt64, UInt64)?) {
        var survey = ForwardingSurvey(headers)
        if survey.connectionListsOthers {
            for name in connectionListed(headers) { headers.remove(name: name) }
            // It may have listed any of the names below.
            survey = ForwardingSurvey(headers)
        }
        if survey.hopByHop { headers.remove(hopByHopNames) }
        // As Envoy does: `te: trailers` goes on (gRPC needs it end to end); other TE values stop here.
        if survey.teTrailers { headers.add("te", value: "trailers") }
        if !survey.requestID { RequestID.with(requestID ?? RequestID.draw()) { headers.add("x-request-id", utf8: $0) } }
        if !survey.forwardedProto { headers.add("x-forwarded-proto", value: scheme) }
        if let clientAddress {
            if survey.forwardedFor {
                // Every field of the name is one list (RFC 9110 §5.3), as Envoy joins them: none is lost.
                var chain: [String] = []
                headers.forEachValue("x-forwarded-for") { chain.append(String(decoding: $0, as: UTF8.self)) }
                headers.replaceOrAdd("x-forwarded-for", value: (chain + [clientAddress]).joined(separator: ", "))
            } else {
                headers.add("x-forwarded-for", value: clientAddress)
            }
        }
        switch clientCertificate {
        case .keep: break
        case .sanitize: if survey.clientCert { headers.remove("x-forwarded-client-cert") }
        case .set(let value): if survey.clientCert { headers.replaceOrAdd("x-forwarded-client-cert", value: value) } else { headers.add("x-forwarded-client-cert", value: value) }
        case .append(let value) where survey.clientCert:
            // The elements so far, then this hop's client, comma-separated as Envoy appends.
            var elements: [String] = []
            headers.forEachValue("x-forwarded-client-cert") { elements.append(String(decoding: $0, as: UTF8.self)) }
            headers.replaceOrAdd("x-forwarded-client-cert", value: (elements + [value]).joined(separator: ","))
        case .append(let value): headers.add("x-forwarded-client-cert", value: value)
        }
        if let edits {
            for (name, value) in edits.requestSet { headers.replaceOrAdd(name: name, value: value) }
            for (name, value) in edits.requestAdd { headers.add(name: name, value: value) }
            for name in edits.requestRemove { headers.remove(name: name) }
        }
    }

    /// What a response drops on the way: the hop-by-hop headers, its Transfer-Encoding (the
    /// client's side frames it anew) and the upstream's peer metadata (telemetry reads it from the
    /// received head; a destination's own goes back instead). One pass for all.
    static let responseDroppedNames: HeaderNameSet = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate",
        "transfer-encoding", .peerMetadata,
    ]

    /// Takes `head` over: its fields are edited where they are when nothing else holds them.
    static func response(_ head: consuming ProxyResponseHead, version: HTTPVersion, edits: HeaderEdits?) -> ProxyResponseHead {
        head.version = version
        // Its keep-alive is what its headers say from here on, not what the upstream's did.
        head.keepAliveAsRead = nil
        head.headers.reserveCapacity(head.headers.count + 4 + (edits.map { $0.responseSet.count + $0.responseAdd.count } ?? 0))
        head.headers.remove(responseDroppedNames)
        if let edits {
            for (name, value) in edits.responseSet { head.headers.replaceOrAdd(name: name, value: value) }
            for (name, value) in edits.responseAdd { head.headers.add(name: name, value: value) }
            for name in edits.responseRemove { head.headers.remove(name: name) }
        }
        return head
    }

    /// Header names the `Connection` header lists to be dropped (`keep-alive` and `close` list none).
    static func connectionListed(_ headers: HeaderFields) -> [String] {
        var listed: [String] = []
        headers.forEachElement("connection") { element in
            let name = String(decoding: element, as: UTF8.self).lowercased()
            if name != "keep-alive" && name != "close" { listed.append(name) }
        }
        return listed
    }

    /// `http://host:port/path?q` (proxy form) → ("host:port", "/path?q"); origin form keeps the Host
    /// header. The decoder split a target it read; a head made otherwise is read here.
    /// `knownAuthority`: the connection's last authority, taken again when the Host field has its bytes.
    static func target(of head: ProxyRequestHead, knownAuthority: String? = nil) -> (authority: String, originForm: String) {
        if let authority = head.targetAuthority { return (authority, head.uri) }
        let target = RequestTarget(head.uri)
        return (target.authority ?? head.headers.first("host", reusing: knownAuthority) ?? "", target.originForm)
    }
}

/// What the proxy does with `X-Forwarded-Client-Cert` (Envoy's `forward_client_cert_details`).
enum ForwardedClientCert: Equatable {
    /// Left as the client sent it (a gateway's FORWARD_ONLY, ALWAYS_FORWARD_ONLY).
    case keep
    /// Removed, so no one claims a certificate without proving it (outbound; a plaintext peer).
    case sanitize
    /// Replaced with the proved peer's (a gateway's SANITIZE_SET, its default).
    case set(String)
    /// The proved peer's added after what came (inbound mutual TLS, Istio's APPEND_FORWARD).
    case append(String)
}
