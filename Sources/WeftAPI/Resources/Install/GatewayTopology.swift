/// How a gateway stands behind other proxies (ProxyConfig `gatewayTopology`, mesh/v1alpha1
/// proxy.proto): how many of them to trust in `X-Forwarded-For`, and what it does with a request's
/// `X-Forwarded-Client-Cert`. Read by gateways only, when they start (Istio: "restart the gateway pods").
public struct GatewayTopology: Codable, Sendable, Hashable {
    /// Proxies in front of the gateway that each append to `X-Forwarded-For` (Envoy's `xff_num_trusted_hops`).
    public var numTrustedProxies: Int?
    /// `UNDEFINED`, `SANITIZE`, `FORWARD_ONLY`, `APPEND_FORWARD`, `SANITIZE_SET` (a gateway's default) or `ALWAYS_FORWARD_ONLY`.
    public var forwardClientCertDetails: String?
    /// Set (`{}`, ProxyConfig's empty `ProxyProtocolConfiguration`): every connection to the
    /// gateway starts with a PROXY protocol header (v1 or v2), whose client stands for the peer.
    public var proxyProtocol: AnyValue?

    public init(numTrustedProxies: Int? = nil, forwardClientCertDetails: String? = nil, proxyProtocol: AnyValue? = nil) {
        self.numTrustedProxies = numTrustedProxies
        self.forwardClientCertDetails = forwardClientCertDetails
        self.proxyProtocol = proxyProtocol
    }

    /// The names `forwardClientCertDetails` may take.
    public static let clientCertModes = ["UNDEFINED", "SANITIZE", "FORWARD_ONLY", "APPEND_FORWARD", "SANITIZE_SET", "ALWAYS_FORWARD_ONLY"]

    /// What is wrong with it, at `path` (`gatewayTopology`).
    public func validate(into v: inout Validator, at path: FieldPath) {
        if let count = numTrustedProxies, count < 0 { v.error(path / "numTrustedProxies", "numTrustedProxies must be greater than or equal to 0") }
        if let mode = forwardClientCertDetails, !Self.clientCertModes.contains(mode) {
            v.error(path / "forwardClientCertDetails", "forwardClientCertDetails must be one of \(Self.clientCertModes.joined(separator: ", ")), got \"\(mode)\"")
        }
        switch proxyProtocol {
        case nil, .object([:])?: break
        case .object(let fields)?:
            v.error(path / "proxyProtocol", "proxyProtocol takes no fields (ProxyProtocolConfiguration is empty), got \(fields.keys.sorted().joined(separator: ", "))")
        default:
            v.error(path / "proxyProtocol", "proxyProtocol must be an object ({} turns it on)")
        }
    }

    /// `over`'s fields where it sets them, this one's elsewhere (a pod's annotation over the mesh's default, as Istio merges ProxyConfig).
    public func merging(_ over: GatewayTopology?) -> GatewayTopology {
        guard let over else { return self }
        var merged = self
        if let count = over.numTrustedProxies { merged.numTrustedProxies = count }
        if let mode = over.forwardClientCertDetails { merged.forwardClientCertDetails = mode }
        if let proxyProtocol = over.proxyProtocol { merged.proxyProtocol = proxyProtocol }
        return merged
    }
}
