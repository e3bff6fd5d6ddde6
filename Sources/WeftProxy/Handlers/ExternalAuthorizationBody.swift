import NIOCore
import WeftModel

extension ProxyServerHandler {
    /// Envoy's ext_authz `with_request_body`: the check waits until the request's body has ended or
    /// passed `maxBytes`, then carries it (cut to `maxBytes`, marked partial, when the provider
    /// allows a partial message; else a body over the limit is answered 413, as Envoy's buffer
    /// limit answers it). Reads pause once the check is sent; the body stays held for the upstream.
    func askWhenBodyIsRead(_ included: ExternalAuthorizer.RequestBody, decision: RequestDecision, authorizer: ExternalAuthorizer, head: ProxyRequestHead,
                           request: RequestContext, target: (host: String, port: Int, cluster: String?, transport: UpstreamTransport),
                           context: ChannelHandlerContext) {
        guard let (parts, ended) = machine.partsWhileDeciding else {
            checkBodyWaiter = nil
            return
        }
        var read = 0
        for case .body(let buffer) in parts { read += buffer.readableBytes }
        guard ended || read > included.maxBytes || (included.allowPartial && read >= included.maxBytes) else { return }
        checkBodyWaiter = nil
        if !ended, read > included.maxBytes, !included.allowPartial {
            machine.delayDecision(answering: true)
            return answer(LocalResponse(status: 413, flag: "", body: "Payload Too Large"), version: head.version)
        }
        setReading(false)
        var body = context.channel.allocator.buffer(capacity: min(read, included.maxBytes))
        for case .body(var buffer) in parts where body.readableBytes < included.maxBytes {
            let taken = min(buffer.readableBytes, included.maxBytes - body.readableBytes)
            if let slice = buffer.readSlice(length: taken) { body.writeImmutableBuffer(slice) }
        }
        askAuthorizer(decision, authorizer: authorizer, head: head, request: request, target: target, context: context,
                      body: (body, partial: !ended || read > included.maxBytes))
    }
}
