import Glibc
import NIOCore
import NIOHTTP1
import WeftModel

/// A CUSTOM policy's external authorizer, as the request's plan carries it (one reference in the context).
public final class ExternalCheck: Sendable {
    let authorizer: ExternalAuthorizer
    init(_ authorizer: ExternalAuthorizer) { self.authorizer = authorizer }
}

/// What an allowing authorizer asks of the request upstream and of the client's answer.
struct ExternalAllowance {
    /// Set on the request (over the client's value), added to it, and taken off it.
    var set: [(String, String)] = []
    var appended: [(String, String)] = []
    var removed: [String] = []
    /// Added to the client's answer.
    var downstream: [(String, String)] = []
}

/// What the external authorizer said of a request.
enum ExternalVerdict {
    /// Allowed: the request goes on with the allowance's edits.
    case allowed(ExternalAllowance)
    /// Any other status: the client's answer.
    case denied(LocalResponse)
    /// No answer (refused, reset, too slow, unusable).
    case failed(String)
}

/// Envoy's HTTP ext_authz service, for Istio's `envoyExtAuthzHttp` providers: the check request is
/// the client's method, the provider's `pathPrefix` followed by the request's path, no body, the
/// request's Host, Authorization and `includeRequestHeadersInCheck` headers and the provider's
/// `includeAdditionalHeadersInCheck` (over the request's of the same name), on a connection kept
/// alive between checks (mutual TLS to an authorizer with a sidecar; `ExternalAuthorizationHTTPCall`),
/// within the provider's timeout. The gRPC provider's check is `ExternalAuthorizationGRPC`.
enum ExternalAuthorization {
    /// Whether a request with `head` has a body to wait for (a length above 0, or chunked).
    static func hasBody(_ head: ProxyRequestHead) -> Bool {
        if let length = head.headers.first(name: "content-length") { return (Int(length) ?? 0) > 0 }
        return head.headers.contains(name: "transfer-encoding")
    }

    /// The check request's head for a request with `head` (its `uri` the path the client asked for);
    /// with the request's body (or its first bytes), its length and Envoy's `x-envoy-auth-partial-body`.
    static func checkHead(_ head: ProxyRequestHead, authority: String, authorizer: ExternalAuthorizer,
                          body: (bytes: ByteBuffer, partial: Bool)? = nil) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: authority)
        let added = Set(authorizer.additionalHeaders.map(\.name))
        for name in ["authorization"] + authorizer.includeRequestHeaders where name != "host" && name != "content-length" && !added.contains(name) {
            if let value = head.headers.first(name: name) { headers.add(name: name, value: value) }
        }
        for header in authorizer.additionalHeaders where header.name != "host" && header.name != "content-length" {
            headers.add(name: header.name, value: header.value)
        }
        if let body { headers.add(name: "x-envoy-auth-partial-body", value: body.partial ? "true" : "false") }
        headers.add(name: "content-length", value: String(body?.bytes.readableBytes ?? 0))
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: authorizer.pathPrefix + head.uri, headers: headers)
    }

    /// The verdict of the authorizer's answer.
    static func verdict(status: Int, headers: HTTPHeaders, body: String, authorizer: ExternalAuthorizer) -> ExternalVerdict {
        func picked(_ names: [String]) -> [(String, String)] {
            headers.filter { names.contains($0.name.lowercased()) }.map { ($0.name.lowercased(), $0.value) }
        }
        if status == 200 {
            return .allowed(ExternalAllowance(set: picked(authorizer.headersToUpstreamOnAllow), downstream: picked(authorizer.headersToDownstreamOnAllow)))
        }
        // Envoy: with no list, every header of the answer but its framing and Host reaches the client.
        let framing: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "keep-alive"]
        let downstream = authorizer.headersToDownstreamOnDeny.isEmpty
            ? headers.filter { !framing.contains($0.name.lowercased()) }.map { ($0.name.lowercased(), $0.value) }
            : picked(authorizer.headersToDownstreamOnDeny)
        return .denied(LocalResponse(status: (100...599).contains(status) ? status : 403, flag: "UAEX", body: body, headers: downstream))
    }

    /// Where the check goes: an endpoint of the authorizer's mesh service, secured as a request to
    /// it would be (Istio's auto mutual TLS to a workload with a sidecar; the DestinationRule's TLS),
    /// as Envoy's ext_authz calls its cluster; any other name, plaintext to the name itself.
    /// `listener`: the proxy's, whose workload namespace a short service name is read in.
    static func target(_ authorizer: ExternalAuthorizer, configuration: ActiveConfiguration,
                       listener: ListenerContext) -> (host: String, port: Int, cluster: String?, transport: UpstreamTransport)? {
        let namespace = listener.tracer?.workload.namespace ?? listener.telemetry?.workload.namespace ?? "default"
        let balancer = listener.balancer
        guard let (host, port, _) = CollectorAddress.parse(authorizer.address) else { return nil }
        let cluster = "outbound|\(port)||" + RequestTelemetry.inboundService(authority: host, namespace: namespace)
        if configuration.endpoints[cluster]?.isEmpty == false,
           case .success(let upstream) = TCPUpstreamChoice.choose(destinations: [WeightedCluster(cluster: cluster, weight: 100)], configuration: configuration, balancer: balancer) {
            return (upstream.host, upstream.port, cluster, upstream.transport)
        }
        return (host, port, nil, .plaintext)
    }
}

extension ProxyServerHandler {
    /// Holds the decision while the external authorizer is asked: allowed, the decision is carried
    /// out (with the authorizer's headers upstream); denied, its answer is the client's (flag
    /// UAEX); unanswered, `statusOnError` (403), or the decision when the provider fails open.
    func checkExternally(_ decision: RequestDecision, check: ExternalCheck, head: ProxyRequestHead, request: RequestContext, context: ChannelHandlerContext) {
        let authorizer = check.authorizer
        let answering: Bool
        if case .respond = decision { answering = true } else { answering = false }
        machine.delayDecision(answering: answering)
        guard let target = ExternalAuthorization.target(authorizer, configuration: request.configuration, listener: listener) else {
            listener.stats.increment("ext_authz.error")
            return answer(LocalResponse(status: authorizer.statusOnError, flag: "UAEX"), version: head.version)
        }
        if let included = authorizer.requestBody, !answering, ExternalAuthorization.hasBody(head) {
            // Reads go on until the body (or `maxBytes` of it) is in: the check carries it.
            checkBodyWaiter = { [weak self] in
                self?.askWhenBodyIsRead(included, decision: decision, authorizer: authorizer, head: head, request: request, target: target, context: context)
            }
            return askWhenBodyIsRead(included, decision: decision, authorizer: authorizer, head: head, request: request, target: target, context: context)
        }
        if !answering { setReading(false) }
        askAuthorizer(decision, authorizer: authorizer, head: head, request: request, target: target, context: context, body: nil)
    }

    /// Asks the authorizer, the request's body (or its first bytes, `partial`) in the check when given.
    func askAuthorizer(_ decision: RequestDecision, authorizer: ExternalAuthorizer, head: ProxyRequestHead, request: RequestContext,
                       target: (host: String, port: Int, cluster: String?, transport: UpstreamTransport), context: ChannelHandlerContext,
                       body: (bytes: ByteBuffer, partial: Bool)?) {
        let stats = listener.stats
        let asked: EventLoopFuture<ExternalVerdict>
        switch authorizer.api {
        case .http:
            let checkHead = ExternalAuthorization.checkHead(head, authority: request.attributes.authority, authorizer: authorizer, body: body)
            asked = ExternalAuthorization.check(checkHead, body: body?.bytes, target: target, authorizer: authorizer, pool: listener.pool.value)
        case .grpc:
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let peers = ExternalAuthorizationGRPC.Peers(source: listener.remoteAddress(of: context.channel), sourcePrincipal: peer?.certificate.identity ?? "",
                                                        destination: listener.localAddress(of: context.channel), destinationPrincipal: peer?.localIdentity ?? "")
            var check = ExternalAuthorizationGRPC.checkRequest(head, attributes: request.attributes, peers: peers, http2: http2,
                                                               streamID: UInt64.random(in: 1...UInt64.max), time: now)
            if let body { ExternalAuthorizationGRPC.include(body, packAsBytes: authorizer.requestBody?.packAsBytes ?? false, in: &check) }
            asked = ExternalAuthorizationGRPC.check(check, target: target, authorizer: authorizer, pool: listener.pool.value)
        }
        asked
            .hop(to: context.eventLoop)
            .assumeIsolated()
            .whenSuccess { verdict in
                guard self.context != nil, self.machine.isDeciding else { return }
                var head = head
                switch verdict {
                case .allowed(let allowance):
                    stats.increment("ext_authz.ok")
                    for (name, value) in allowance.set { head.headers.replaceOrAdd(name: name, value: value) }
                    for (name, value) in allowance.appended { head.headers.add(name: name, value: value) }
                    for name in allowance.removed { head.headers.remove(name: name) }
                    // The upstream's answer carries them (the steps already copied the context's into the decision).
                    var decision = decision
                    if !allowance.downstream.isEmpty, case .forward(var upstream) = decision {
                        upstream.responseHeaders += allowance.downstream.map { HeaderField(name: $0.0, value: $0.1) }
                        decision = .forward(upstream)
                    }
                    // A fault delay the route asks for comes after the authorizer, as Envoy's fault filter does.
                    if let milliseconds = request.faultDelayMs, let context = self.context {
                        self.delay(decision, by: milliseconds, head: head, request: request, context: context)
                    } else {
                        self.carryOut(decision, head: head, request: request)
                    }
                case .denied(let response):
                    stats.increment("ext_authz.denied")
                    self.answer(response, version: head.version)
                case .failed:
                    stats.increment("ext_authz.error")
                    if authorizer.failOpen {
                        stats.increment("ext_authz.failure_mode_allowed")
                        self.carryOut(decision, head: head, request: request)
                    } else {
                        self.answer(LocalResponse(status: authorizer.statusOnError, flag: "UAEX"), version: head.version)
                    }
                }
            }
    }
}
