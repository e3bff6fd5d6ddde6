import Foundation
import Logging
import ServiceLifecycle

/// Istio's plugged-in CA is reloaded when its `cacerts` files change: the files are looked at every
/// `interval`, and a changed set that loads (key matching certificate, a CA, the chain and roots
/// readable) replaces the CA for the next certificate request and the published root; a set that
/// does not load is logged and counted, and the CA in use keeps signing.
public struct CertificateAuthorityReloadService: Service {
    let directory: URL
    let trustDomain: String
    let current: CurrentCertificateAuthority
    let counters: CertificateCounters
    let interval: Duration
    let logger: Logger

    public init(directory: URL, trustDomain: String, current: CurrentCertificateAuthority, counters: CertificateCounters, interval: Duration = .seconds(2), logger: Logger) {
        self.directory = directory
        self.trustDomain = trustDomain
        self.current = current
        self.counters = counters
        self.interval = interval
        self.logger = logger
    }

    /// What is known of the files without reading them: a change of any is a reason to reload.
    static func fingerprint(_ directory: URL) -> [String] {
        ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"].map { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name):\(attributes?[.size] as? Int ?? -1):\(modified)"
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var seen = Self.fingerprint(directory)
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let now = Self.fingerprint(directory)
                guard now != seen else { continue }
                seen = now
                do {
                    current.replace(with: try MeshCA.pluggedIn(directory: directory, trustDomain: trustDomain))
                    counters.increment("ca_reloaded")
                    logger.info("plugged-in CA reloaded", metadata: ["dir": "\(directory.path)"])
                } catch {
                    counters.increment("ca_reload_failed")
                    logger.error("plugged-in CA not reloaded; the CA in use keeps signing", metadata: ["dir": "\(directory.path)", "reason": "\(error)"])
                }
            }
        }
    }
}
