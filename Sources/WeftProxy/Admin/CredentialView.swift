import Foundation
import WeftModel
import X509

/// A gateway credential as `/certs` shows it (istioctl's `proxy-config secret` rows for a
/// gateway's `kubernetes://NAME`): the leaf's serial and validity, or why it is not in use.
struct CredentialView: Encodable {
    var name: String
    var listener: String
    /// ACTIVE when the certificate parsed; WARMING (Envoy's word for a secret not yet usable) with the reason otherwise.
    var status: String
    var reason: String?
    var serialNumber: String?
    var validFrom: Date?
    var validTo: Date?

    /// One view per distinct credential of the configuration's gateway servers.
    static func all(in configuration: ProxyConfiguration) -> [CredentialView] {
        var seen = Set<String>()
        var views: [CredentialView] = []
        for listener in configuration.listeners {
            for server in listener.serverTLS {
                guard let name = server.credentialName, seen.insert(name).inserted else { continue }
                views.append(CredentialView(name: "kubernetes://" + name, listener: listener.name, server: server))
            }
        }
        return views
    }

    init(name: String, listener: String, server: GatewayServerTLS) {
        self.name = name
        self.listener = listener
        if let reason = server.credentialError {
            status = "WARMING"
            self.reason = reason
        } else if let pem = server.certificateChain, let leaf = try? Certificate(pemEncoded: String(pem[..<(pem.range(of: "-----END CERTIFICATE-----")?.upperBound ?? pem.endIndex)])) {
            status = "ACTIVE"
            serialNumber = leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
            validFrom = leaf.notValidBefore
            validTo = leaf.notValidAfter
        } else {
            status = "WARMING"
            reason = "the certificate does not parse"
        }
    }
}
