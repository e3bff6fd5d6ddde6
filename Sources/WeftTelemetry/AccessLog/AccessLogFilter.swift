/// A Telemetry API access-log filter (`filter.expression`): a CEL expression over the request,
/// true to log. An expression that yields no boolean logs nothing, as Envoy's CEL filter does.
public struct AccessLogFilter: Sendable, Hashable {
    public typealias Unsupported = CELExpression.Unsupported
    public let expression: CELExpression

    public init(_ text: String) throws(Unsupported) {
        expression = try CELExpression(text)
    }

    public func matches(_ entry: AccessLogEntry) -> Bool {
        expression.evaluate({ entry.attribute($0) }, header: { map, name in
            switch map {
            case .request: return entry.requestHeader(name)
            case .response: return entry.responseHeaders?.accessLogValue(name)
            }
        }) == .bool(true)
    }
}

extension AccessLogEntry {
    /// An Envoy request attribute, as CEL reads it.
    func attribute(_ name: String) -> CELExpression.Value {
        func text(_ value: String?) -> CELExpression.Value { value.map(CELExpression.Value.string) ?? .null }
        func address(_ value: String?) -> CELExpression.Value { text(value.map(AccessLogFormatter.withoutPort)) }
        func port(_ value: String?) -> CELExpression.Value {
            if case .number(let number) = AccessLogFormatter.port(value) { return .int(number) }
            return .null
        }
        switch name {
        case "request.path": return .string(originalPath ?? path)
        case "request.url_path":
            let full = originalPath ?? path
            return .string(full.firstIndex(of: "?").map { String(full[..<$0]) } ?? full)
        case "request.host": return text(authority.isEmpty ? nil : authority)
        case "request.scheme": return .string(scheme)
        case "request.method": return .string(method)
        case "request.headers": return .headers(.request)
        case "request.referer": return text(requestHeader("referer"))
        case "request.useragent": return text(requestHeader("user-agent"))
        case "request.id": return text(requestHeader("x-request-id"))
        case "request.protocol": return .string(protocolName)
        case "request.size", "request.total_size": return .int(bytesReceived)
        case "response.code": return .int(responseCode)
        case "response.code_details": return text(responseCodeDetails)
        case "response.flags": return .string(responseFlags)
        case "response.headers": return .headers(.response)
        case "response.size": return .int(bytesSent)
        case "response.grpc_status": return text(responseHeaders?.accessLogValue("grpc-status") ?? responseTrailers?.accessLogValue("grpc-status")).intIfNumeric
        case "source.address": return address(downstreamRemoteAddress)
        case "source.port": return port(downstreamRemoteAddress)
        case "destination.address": return address(downstreamLocalAddress)
        case "destination.port": return port(downstreamLocalAddress)
        case "upstream.address": return address(upstreamHost)
        case "upstream.port": return port(upstreamHost)
        case "xds.cluster_name": return text(upstreamCluster)
        case "xds.route_name": return text(routeName)
        case "connection.mtls": return .bool(downstreamPeerURISAN != nil)
        case "connection.requested_server_name": return text(requestedServerName)
        default: return .null
        }
    }
}

extension CELExpression.Value {
    var intIfNumeric: CELExpression.Value {
        if case .string(let text) = self, let number = Int(text) { return .int(number) }
        return self
    }
}
