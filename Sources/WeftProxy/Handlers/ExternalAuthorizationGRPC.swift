import struct Foundation.Data
import Glibc
import NIOCore
import NIOHTTP1
import SwiftProtobuf
import WeftDiscovery
import WeftModel

/// Envoy's gRPC ext_authz client, for Istio's `envoyExtAuthzGrpc` providers: `Authorization/Check`
/// with the request's attributes as Envoy fills them (the client's and the proxy's addresses and
/// mutual-TLS identities, the request's time, method, path with its query, host, scheme, protocol,
/// size and every header, pseudo-headers included), on a stream of an HTTP/2 connection from the
/// listener's pool (kept and shared between checks), within the provider's timeout.
enum ExternalAuthorizationGRPC {
    static let checkPath = "/envoy.service.auth.v3.Authorization/Check"

    /// The ends and identities of the request's connection, as the check names them.
    struct Peers {
        var source: SocketAddress?
        var sourcePrincipal = ""
        var destination: SocketAddress?
        var destinationPrincipal = ""
    }

    /// The check for a request with `head` (its `uri` the path and query the client asked for).
    static func checkRequest(_ head: ProxyRequestHead, attributes: RequestAttributes, peers: Peers, http2: Bool,
                             streamID: UInt64, time: timespec) -> ExtAuthzCheckRequest {
        var http = ExtAuthzAttributeContext.HttpRequest()
        http.id = String(streamID)
        http.method = head.method.rawValue
        http.path = head.uri
        http.host = attributes.authority
        http.scheme = attributes.scheme
        http.protocol = http2 ? "HTTP/2" : head.version == .http1_0 ? "HTTP/1.0" : "HTTP/1.1"
        if let length = head.headers.first(name: "content-length").flatMap({ Int64($0) }) {
            http.size = length
        } else {
            http.size = head.headers.contains(name: "transfer-encoding") ? -1 : 0
        }
        // Envoy's header map: lowercased names, pseudo-headers included, repeated values joined by commas.
        var headers: [String: String] = [":authority": attributes.authority, ":method": http.method, ":path": head.uri, ":scheme": attributes.scheme]
        for (name, value) in head.headers where name != "host" {
            headers[name] = headers[name].map { $0 + "," + value } ?? value
        }
        http.headers = headers
        var request = ExtAuthzAttributeContext.Request()
        request.time = ExtAuthzTimestamp.with { $0.seconds = Int64(time.tv_sec); $0.nanos = Int32(time.tv_nsec) }
        request.http = http
        var context = ExtAuthzAttributeContext()
        context.source = peer(peers.source, principal: peers.sourcePrincipal)
        context.destination = peer(peers.destination, principal: peers.destinationPrincipal)
        context.request = request
        return ExtAuthzCheckRequest.with { $0.attributes = context }
    }

    /// The request's body (or its first bytes) in the check, as Envoy's `with_request_body` puts it:
    /// text in `body` (bytes in `raw_body` with `pack_as_bytes`), `x-envoy-auth-partial-body` among the headers.
    static func include(_ body: (bytes: ByteBuffer, partial: Bool), packAsBytes: Bool, in check: inout ExtAuthzCheckRequest) {
        if packAsBytes {
            check.attributes.request.http.rawBody = Data(body.bytes.readableBytesView)
        } else {
            check.attributes.request.http.body = String(decoding: body.bytes.readableBytesView, as: UTF8.self)
        }
        check.attributes.request.http.headers["x-envoy-auth-partial-body"] = body.partial ? "true" : "false"
    }

    /// The check for a TCP connection, as Envoy's network ext_authz filter sends it: both ends and
    /// identities, no request.
    static func connectionCheck(peers: Peers) -> ExtAuthzCheckRequest {
        var context = ExtAuthzAttributeContext()
        context.source = peer(peers.source, principal: peers.sourcePrincipal)
        context.destination = peer(peers.destination, principal: peers.destinationPrincipal)
        return ExtAuthzCheckRequest.with { $0.attributes = context }
    }

    private static func peer(_ address: SocketAddress?, principal: String) -> ExtAuthzAttributeContext.Peer {
        var peer = ExtAuthzAttributeContext.Peer()
        if let address, let ip = address.ipText {
            peer.address = ExtAuthzAddress.with {
                $0.socketAddress = ExtAuthzSocketAddress.with { socket in
                    socket.address = ip
                    socket.portValue = UInt32(clamping: address.port ?? 0)
                }
            }
        }
        peer.principal = principal
        return peer
    }

    /// The verdict of the authorizer's answer: its status OK allows (with the `ok_response`'s
    /// header edits), any other denies with the `denied_response` (403 without a status); a call
    /// that ended without an answer is a failure.
    static func verdict(_ outcome: GRPCUnaryOutcome) -> ExternalVerdict {
        switch outcome {
        case .failed(let reason):
            return .failed(reason)
        case .status(let code, let message):
            return .failed("gRPC status \(code)\(message.isEmpty ? "" : ": \(message)")")
        case .message(let bytes):
            guard let response = try? ExtAuthzCheckResponse(serializedBytes: Array(bytes.readableBytesView)) else {
                return .failed("an unreadable CheckResponse")
            }
            return verdict(response)
        }
    }

    static func verdict(_ response: ExtAuthzCheckResponse) -> ExternalVerdict {
        if response.status.code == 0 {
            var allowance = ExternalAllowance()
            if case .okResponse(let ok)? = response.httpResponse {
                for option in ok.headers where !option.header.key.isEmpty {
                    let header = (option.header.key.lowercased(), headerValue(option.header))
                    // In an OkHttpResponse `append` defaults to false: the value replaces the client's.
                    if appends(option) { allowance.appended.append(header) } else { allowance.set.append(header) }
                }
                allowance.removed = ok.headersToRemove.map { $0.lowercased() }.filter { !$0.hasPrefix(":") && $0 != "host" }
                allowance.downstream = ok.responseHeadersToAdd.filter { !$0.header.key.isEmpty }.map { ($0.header.key.lowercased(), headerValue($0.header)) }
            }
            return .allowed(allowance)
        }
        var denied = ExtAuthzDeniedHttpResponse()
        if case .deniedResponse(let response)? = response.httpResponse { denied = response }
        let status = (100...599).contains(Int(denied.status.code)) ? Int(denied.status.code) : 403
        let headers = denied.headers.filter { !$0.header.key.isEmpty }.map { ($0.header.key.lowercased(), headerValue($0.header)) }
        return .denied(LocalResponse(status: status, flag: "UAEX", body: denied.body, headers: headers))
    }

    private static func appends(_ option: ExtAuthzHeaderValueOption) -> Bool {
        if option.hasAppend { return option.append.value }
        // APPEND_IF_EXISTS_OR_ADD (0) is what an unset action reads as; only an explicit `append` says so here.
        return false
    }

    private static func headerValue(_ header: ExtAuthzHeaderValue) -> String {
        header.value.isEmpty && !header.rawValue.isEmpty ? String(decoding: header.rawValue, as: UTF8.self) : header.value
    }

    /// Asks the authorizer on a stream of the pool's HTTP/2 connection to `target` (the pool's loop).
    static func check(_ request: ExtAuthzCheckRequest, target: (host: String, port: Int, cluster: String?, transport: UpstreamTransport),
                      authorizer: ExternalAuthorizer, pool: UpstreamConnectionPool) -> EventLoopFuture<ExternalVerdict> {
        let promise = ExternalAuthorization.answerPromise(on: pool.eventLoop, authorizer: authorizer) { GRPCUnaryOutcome.failed($0) }
        let message: ByteBuffer
        do {
            message = ByteBuffer(bytes: try request.serializedBytes() as [UInt8])
        } catch {
            promise.succeed(.failed("the CheckRequest could not be written: \(error)"))
            return promise.futureResult.map(verdict)
        }
        let authority = CollectorAddress.parse(authorizer.address)?.host ?? target.host
        let cluster = target.cluster ?? "ext_authz|\(authorizer.name)"
        pool.openStream(host: target.host, port: target.port, cluster: cluster, connectTimeout: .milliseconds(Int64(min(authorizer.timeoutMs, 10_000))),
                        transport: target.transport) { stream in
            try stream.pipeline.syncOperations.addHandler(GRPCUnaryCall(path: checkPath, authority: authority, message: message,
                                                                        timeout: .milliseconds(Int64(authorizer.timeoutMs)), promise: promise))
        }.whenComplete { result in
            switch result {
            case .success(let stream): promise.futureResult.whenComplete { _ in stream.close(promise: nil) }
            case .failure(let error): promise.succeed(.failed("\(error)"))
            }
        }
        return promise.futureResult.map(verdict)
    }
}
