import Foundation
import NIOCore
import NIOSSL

/// The TLS the control plane serves its API and discovery with when they listen beyond
/// loopback: a certificate from the mesh CA for `istiod.istio-system.svc`, this host's name,
/// `localhost` and the addresses it listens on (every interface's for a wildcard address).
struct ControlPlaneServingTLS {
    let chainPEM: String
    let keyPEM: String

    init(ca: MeshCA, hosts: [String]) throws {
        var addresses = Set(hosts.filter { $0 != "0.0.0.0" && $0.first?.isNumber == true })
        if hosts.contains("0.0.0.0") {
            addresses.insert("127.0.0.1")
            for device in (try? System.enumerateDevices()) ?? [] {
                if let ip = device.address?.ipAddress, !ip.contains(":") { addresses.insert(ip) }
            }
        }
        let names = ["istiod.istio-system.svc", "localhost", ProcessInfo.processInfo.hostName] + hosts.filter { $0.first?.isNumber == false }
        (chainPEM, keyPEM) = try ca.servingCertificate(dnsNames: Array(Set(names)).sorted(), ipAddresses: addresses.sorted())
    }

    /// The API's server context.
    func serverContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}
