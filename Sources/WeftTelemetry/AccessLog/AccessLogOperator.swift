/// One of Envoy's access-log command operators, parsed from `%NAME%`, `%NAME(ARG)%` or
/// `%NAME(ARG):N%`. Envoy refuses a format with an operator it does not know, and so does Weft.
public enum AccessLogOperator: Sendable, Hashable {
    /// `%START_TIME%` or `%START_TIME(FMT)%`.
    case startTime(StartTimeFormat)
    /// `%REQ(X?Y)%`: header X of the request, else Y; `:METHOD`, `:PATH`, `:AUTHORITY`, `:SCHEME`
    /// name the request line's parts. `withoutQuery` is Istio's `%REQ_WITHOUT_QUERY(...)%`.
    case requestHeader(HeaderChoice, withoutQuery: Bool)
    /// `%RESP(X?Y)%`.
    case responseHeader(HeaderChoice)
    /// `%TRAILER(X?Y)%`.
    case responseTrailer(HeaderChoice)
    /// `%ENVIRONMENT(NAME)%`: the proxy's environment variable.
    case environment(String)
    /// `%DYNAMIC_METADATA(...)%`, `%FILTER_STATE(...)%`, `%CEL(...)%`: Envoy filters' state, which Weft's
    /// proxies do not keep, so always unavailable (`-`), as Envoy logs an absent key.
    case unavailable(String)
    /// An operator without arguments.
    case field(AccessLogField)

    /// A header and its fallback, names lower-cased, kept as a request's header is found (worked
    /// out once with the format). No more than the two keys: a larger operator was copied
    /// through outlined copies for every piece of every line (~5k instructions a JSON line).
    public struct HeaderChoice: Sendable, Hashable {
        let requestKey: RequestHeaderKey
        let alternativeRequestKey: RequestHeaderKey?

        public var name: String { requestKey.name }
        public var alternative: String? { alternativeRequestKey?.name }

        public init(name: String, alternative: String?) {
            requestKey = RequestHeaderKey(name)
            alternativeRequestKey = alternative.map(RequestHeaderKey.init)
        }
    }
}

/// Where the access log finds a request header: the request line's parts by their HTTP/2 names,
/// else a field by its lower-cased name. Worked out when the format is read: compared as Strings
/// on every line, the names cost six comparisons a lookup.
enum RequestHeaderKey: Sendable, Hashable {
    case method, path, authority, host, scheme, originalPath
    case field(String)

    init(_ lowercasedName: String) {
        switch lowercasedName {
        case ":method": self = .method
        case ":path": self = .path
        case ":authority": self = .authority
        case "host": self = .host
        case ":scheme": self = .scheme
        case "x-envoy-original-path": self = .originalPath
        default: self = .field(lowercasedName)
        }
    }

    /// The lower-cased name it was read from (a response header of that name is looked up by it).
    var name: String {
        switch self {
        case .method: ":method"
        case .path: ":path"
        case .authority: ":authority"
        case .host: "host"
        case .scheme: ":scheme"
        case .originalPath: "x-envoy-original-path"
        case .field(let name): name
        }
    }

    static let requestID = RequestHeaderKey.field("x-request-id")
}

/// The operators that take no argument, by Envoy's name.
public enum AccessLogField: String, Sendable, Hashable, CaseIterable {
    case protocolName = "PROTOCOL"
    case responseCode = "RESPONSE_CODE"
    case responseCodeDetails = "RESPONSE_CODE_DETAILS"
    case responseFlags = "RESPONSE_FLAGS"
    case responseFlagsLong = "RESPONSE_FLAGS_LONG"
    case connectionTerminationDetails = "CONNECTION_TERMINATION_DETAILS"
    case bytesReceived = "BYTES_RECEIVED"
    case bytesSent = "BYTES_SENT"
    case duration = "DURATION"
    case requestDuration = "REQUEST_DURATION"
    case responseDuration = "RESPONSE_DURATION"
    case responseTxDuration = "RESPONSE_TX_DURATION"
    case upstreamHost = "UPSTREAM_HOST"
    case upstreamCluster = "UPSTREAM_CLUSTER"
    case upstreamClusterRaw = "UPSTREAM_CLUSTER_RAW"
    case upstreamLocalAddress = "UPSTREAM_LOCAL_ADDRESS"
    case upstreamRemoteAddress = "UPSTREAM_REMOTE_ADDRESS"
    case upstreamTransportFailureReason = "UPSTREAM_TRANSPORT_FAILURE_REASON"
    case upstreamRequestAttemptCount = "UPSTREAM_REQUEST_ATTEMPT_COUNT"
    case upstreamPeerURISAN = "UPSTREAM_PEER_URI_SAN"
    case downstreamRemoteAddress = "DOWNSTREAM_REMOTE_ADDRESS"
    case downstreamRemoteAddressWithoutPort = "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT"
    case downstreamRemotePort = "DOWNSTREAM_REMOTE_PORT"
    case downstreamDirectRemoteAddress = "DOWNSTREAM_DIRECT_REMOTE_ADDRESS"
    case downstreamDirectRemoteAddressWithoutPort = "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT"
    case downstreamLocalAddress = "DOWNSTREAM_LOCAL_ADDRESS"
    case downstreamLocalAddressWithoutPort = "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT"
    case downstreamLocalPort = "DOWNSTREAM_LOCAL_PORT"
    case downstreamPeerURISAN = "DOWNSTREAM_PEER_URI_SAN"
    case downstreamLocalURISAN = "DOWNSTREAM_LOCAL_URI_SAN"
    case downstreamTLSVersion = "DOWNSTREAM_TLS_VERSION"
    case requestedServerName = "REQUESTED_SERVER_NAME"
    case routeName = "ROUTE_NAME"
    case hostname = "HOSTNAME"
    case streamID = "STREAM_ID"
}

/// Why a format was refused, with where in the format it went wrong.
public struct AccessLogFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension AccessLogOperator {
    /// The operator `name(argument)` names; `position` is where it starts, for the error.
    static func parse(name: String, argument: String?, position: Int) throws(AccessLogFormatError) -> AccessLogOperator {
        func header() throws(AccessLogFormatError) -> HeaderChoice {
            guard let argument, !argument.isEmpty else { throw AccessLogFormatError("%\(name)% needs a header name, e.g. %\(name)(X-REQUEST-ID)% (at \(position))") }
            let parts = argument.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            guard !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty, !(parts.count == 2 && parts[1].contains("?")) else {
                throw AccessLogFormatError("%\(name)(\(argument))%: a header is X or X?Y (at \(position))")
            }
            return HeaderChoice(name: parts[0].lowercased(), alternative: parts.count == 2 ? parts[1].lowercased() : nil)
        }
        switch name {
        case "START_TIME":
            return .startTime(StartTimeFormat(argument.flatMap { $0.isEmpty ? nil : $0 }))
        case "REQ", "REQUEST_HEADER":
            return .requestHeader(try header(), withoutQuery: false)
        case "REQ_WITHOUT_QUERY":
            return .requestHeader(try header(), withoutQuery: true)
        case "RESP", "RESPONSE_HEADER":
            return .responseHeader(try header())
        case "TRAILER", "RESPONSE_TRAILER":
            return .responseTrailer(try header())
        case "ENVIRONMENT":
            guard let argument, !argument.isEmpty else { throw AccessLogFormatError("%ENVIRONMENT% needs a variable name (at \(position))") }
            return .environment(argument)
        case "DYNAMIC_METADATA", "FILTER_STATE", "CEL", "UPSTREAM_FILTER_STATE", "CLUSTER_METADATA", "UPSTREAM_METADATA":
            guard let argument, !argument.isEmpty else { throw AccessLogFormatError("%\(name)% needs an argument (at \(position))") }
            return .unavailable(name)
        default:
            guard let field = AccessLogField(rawValue: name) else {
                throw AccessLogFormatError("unknown command operator %\(name)% (at \(position)); Envoy refuses it too")
            }
            guard argument == nil else { throw AccessLogFormatError("%\(name)% takes no argument (at \(position))") }
            return .field(field)
        }
    }
}
