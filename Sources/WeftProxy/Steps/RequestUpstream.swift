import WeftModel

extension RequestDecision {
    /// Where a request goes. Its fields live in one shared box, copied on the first change of a
    /// shared copy: the steps, the exchange and each attempt hand it on, and as a plain struct each
    /// copy retained its dozen strings, arrays and policies (~15 retains and releases a copy).
    /// Fields that are not plain numbers are read in place (`_read`): a getter returned a copy,
    /// and an enum's or a policy's copy goes through its type's value witness (~150 instructions
    /// for the transport each time a connection was looked for).
    public struct Upstream: Sendable, Equatable {
        private var fields: Fields

        public var host: String {
            _read { yield fields.host }
            set { unique().host = newValue }
        }
        public var port: Int {
            get { fields.port }
            set { unique().port = newValue }
        }
        public var cluster: String {
            _read { yield fields.cluster }
            set { unique().cluster = newValue }
        }
        public var connectTimeoutMs: Int {
            get { fields.connectTimeoutMs }
            set { unique().connectTimeoutMs = newValue }
        }
        public var headers: HeaderEdits? {
            _read { yield fields.headers }
            set { unique().headers = newValue }
        }
        /// The cluster's connection pool: circuit-breaker limits and connection settings.
        public var connectionPool: ConnectionPoolPolicy {
            _read { yield fields.connectionPool }
            set { unique().connectionPool = newValue }
        }
        /// The cluster's outlier detection, and its endpoint count, when it has it: each attempt's
        /// outcome is then counted against the endpoint.
        public var outlierDetection: OutlierPolicy? {
            _read { yield fields.outlierDetection }
            set { unique().outlierDetection = newValue }
        }
        public var endpointCount: Int {
            get { fields.endpointCount }
            set { unique().endpointCount = newValue }
        }
        /// LEAST_REQUEST reads each endpoint's requests in flight: only its requests are counted (no key built otherwise).
        public var countsInFlight: Bool {
            get { fields.countsInFlight }
            set { unique().countsInFlight = newValue }
        }
        /// Headers the proxy adds to the upstream's response (CORS, a consistent-hash cookie it made).
        public var responseHeaders: [HeaderField] {
            _read { yield fields.responseHeaders }
            set { unique().responseHeaders = newValue }
        }
        /// The rewritten path (with query) and Host, when the route rewrites them.
        public var path: String? {
            _read { yield fields.path }
            set { unique().path = newValue }
        }
        public var authority: String? {
            _read { yield fields.authority }
            set { unique().authority = newValue }
        }
        /// Plaintext, Istio mutual TLS or DestinationRule TLS, for the picked endpoint.
        public var transport: UpstreamTransport {
            _read { yield fields.transport }
            set { unique().transport = newValue }
        }
        /// The request goes as a stream on an HTTP/2 connection.
        public var http2: Bool {
            get { fields.http2 }
            set { unique().http2 = newValue }
        }
        /// Outside the mesh (a MESH_EXTERNAL ServiceEntry, a passthrough): no peer metadata goes with it.
        public var meshExternal: Bool {
            get { fields.meshExternal }
            set { unique().meshExternal = newValue }
        }

        public init(host: String, port: Int, cluster: String, connectTimeoutMs: Int, headers: HeaderEdits? = nil,
                    connectionPool: ConnectionPoolPolicy = .unlimited) {
            fields = Fields(host: host, port: port, cluster: cluster, connectTimeoutMs: connectTimeoutMs, headers: headers)
            fields.connectionPool = connectionPool
        }

        /// The box, this copy's own before it changes.
        private mutating func unique() -> Fields {
            if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
            return fields
        }

        public static func == (lhs: Upstream, rhs: Upstream) -> Bool {
            lhs.fields === rhs.fields || lhs.fields.same(as: rhs.fields)
        }

        // @unchecked: its vars change only through `unique()`, on a box no other copy holds; a shared box is only read.
        private final class Fields: @unchecked Sendable {
            var host: String
            var port: Int
            var cluster: String
            var connectTimeoutMs: Int
            var headers: HeaderEdits?
            var connectionPool: ConnectionPoolPolicy = .unlimited
            var outlierDetection: OutlierPolicy? = nil
            var endpointCount: Int = 1
            var countsInFlight: Bool = false
            var responseHeaders: [HeaderField] = []
            var path: String? = nil
            var authority: String? = nil
            var transport: UpstreamTransport = .plaintext
            var http2: Bool = false
            var meshExternal: Bool = false

            init(host: String, port: Int, cluster: String, connectTimeoutMs: Int, headers: HeaderEdits?) {
                self.host = host
                self.port = port
                self.cluster = cluster
                self.connectTimeoutMs = connectTimeoutMs
                self.headers = headers
            }

            func copy() -> Fields {
                let copy = Fields(host: host, port: port, cluster: cluster, connectTimeoutMs: connectTimeoutMs, headers: headers)
                copy.connectionPool = connectionPool
                copy.outlierDetection = outlierDetection
                copy.endpointCount = endpointCount
                copy.countsInFlight = countsInFlight
                copy.responseHeaders = responseHeaders
                copy.path = path
                copy.authority = authority
                copy.transport = transport
                copy.http2 = http2
                copy.meshExternal = meshExternal
                return copy
            }

            func same(as other: Fields) -> Bool {
                host == other.host && port == other.port && cluster == other.cluster && connectTimeoutMs == other.connectTimeoutMs && headers == other.headers
                    && connectionPool == other.connectionPool && outlierDetection == other.outlierDetection && endpointCount == other.endpointCount && countsInFlight == other.countsInFlight && responseHeaders == other.responseHeaders
                    && path == other.path && authority == other.authority && transport == other.transport && http2 == other.http2 && meshExternal == other.meshExternal
            }
        }
    }
}
