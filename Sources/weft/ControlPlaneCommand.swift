import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import WeftAPI
import WeftControlPlane
import WeftHTTPServer

/// `weft control-plane`: Istio's istiod for Weft.
struct ControlPlaneCommand: AsyncParsableCommand, RunsUntilStopped {
    static let configuration = CommandConfiguration(
        commandName: "control-plane",
        abstract: "Run the control plane: config store and API, validation and analysis (and, to come, discovery for proxies)."
    )

    @Option(name: .customLong("data-dir"), help: "Directory of the embedded store; it survives restarts. Default: $WEFT_DATA_DIR or ~/.weft/control-plane.")
    var dataDirectory: String?

    @Flag(name: .customLong("in-memory"), help: "Keep configuration in memory only (nothing survives a restart).")
    var inMemory = false

    @Option(name: .customLong("http-address"), help: "Config API and debug address, HOST:PORT (port 0 picks a free one).")
    var httpAddress: String = "127.0.0.1:15014"

    @Option(name: .customLong("discovery-address"), help: "Discovery (gRPC) address for proxies, HOST:PORT (port 0 picks a free one).")
    var discoveryAddress: String = "127.0.0.1:15010"

    @Option(name: .customLong("ca-dir"), help: "Plug in a CA: a directory with Istio's cacerts files (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem). Default: a self-signed root kept in the data directory.")
    var caDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    mutating func run() async throws {
        guard let (host, port) = HostPort.parse(httpAddress) else {
            throw ValidationError("--http-address must be HOST:PORT, got \"\(httpAddress)\"")
        }
        guard let (discoveryHost, discoveryPort) = HostPort.parse(discoveryAddress) else {
            throw ValidationError("--discovery-address must be HOST:PORT, got \"\(discoveryAddress)\"")
        }
        var logger = Logger(label: "weft.control-plane")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let directory: URL? = inMemory ? nil : URL(fileURLWithPath: dataDirectory ?? ProcessInfo.processInfo.environment["WEFT_DATA_DIR"] ?? (NSHomeDirectory() + "/.weft/control-plane"))
        var settings = ControlPlane.Configuration(dataDirectory: directory, api: .init(host: host, port: port), discoveryHost: discoveryHost, discoveryPort: discoveryPort,
                                                  caDirectory: caDirectory.map { URL(fileURLWithPath: $0) })
        settings.defaultCertificateTTL = try Self.duration("DEFAULT_WORKLOAD_CERT_TTL")
        settings.maximumCertificateTTL = try Self.duration("MAX_WORKLOAD_CERT_TTL")
        if let refresh = try Self.duration("PILOT_JWT_PUB_KEY_REFRESH_INTERVAL") { settings.jwks.refreshInterval = refresh }
        if let blocked = ProcessInfo.processInfo.environment["BLOCKED_CIDRS_IN_JWKS_URIS"], !blocked.isEmpty {
            do {
                settings.jwks.addresses = try JWKSAddressPolicy(blocked: blocked.split(separator: ",").map(String.init))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let controlPlane: ControlPlane
        // Known once the control plane is made; left for this host's user when each address binds.
        let administratorToken = NIOLockedValueBox<String?>(nil)
        let rootBundle = NIOLockedValueBox<String?>(nil)
        let apiTLS = !ListenAddress.isLoopback(host), discoveryTLS = !ListenAddress.isLoopback(discoveryHost)
        do {
            controlPlane = try await ControlPlane(
            configuration: settings,
            logger: logger,
            onAPIBound: { address in
                let shown = "\(apiTLS ? "https" : "http")://\(address.ipAddress ?? host):\(address.port ?? port)"
                if let token = administratorToken.withLockedValue({ $0 }) { LocalCredential.write(token, host: address.ipAddress ?? host, port: address.port ?? port) }
                LocalCredential.writeRoot(apiTLS ? rootBundle.withLockedValue { $0 } : nil, host: address.ipAddress ?? host, port: address.port ?? port)
                // Written straight to fd 1 so a parent reading our output sees it at once (no buffering).
                FileHandle.standardOutput.write(Data("weft control-plane: config API on \(shown)\n".utf8))
            },
            onDiscoveryBound: { boundPort in
                if let token = administratorToken.withLockedValue({ $0 }) { LocalCredential.write(token, host: discoveryHost, port: boundPort) }
                LocalCredential.writeRoot(discoveryTLS ? rootBundle.withLockedValue { $0 } : nil, host: discoveryHost, port: boundPort)
                FileHandle.standardOutput.write(Data("weft control-plane: discovery on \(discoveryHost):\(boundPort)\n".utf8))
            }
            )
        } catch let failure as MeshCA.Failure {
            // Nothing is served with a CA that cannot sign: say why and stop.
            FileHandle.standardError.write(Data("weft control-plane: \(failure)\n".utf8))
            throw ExitCode(1)
        }
        administratorToken.withLockedValue { $0 = controlPlane.administratorToken }
        rootBundle.withLockedValue { $0 = try? controlPlane.ca.ca.rootBundlePEM }
        let revision = await controlPlane.ingest.snapshot.revision
        if let directory { logger.info("store", metadata: ["dir": "\(directory.path)", "revision": "\(revision)"]) }
        let group = ServiceGroup(configuration: .init(
            services: controlPlane.services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}

extension ControlPlaneCommand {
    /// An Istio duration from the environment (`24h`, `90s`); unset is nil, a bad value an error naming it.
    static func duration(_ name: String) throws -> Duration? {
        guard let text = ProcessInfo.processInfo.environment[name] else { return nil }
        guard let parsed = try? IstioDuration(parsing: text), parsed.nanoseconds > 0 else {
            throw ValidationError("\(name) must be a duration such as 24h or 90s, got \"\(text)\"")
        }
        return .nanoseconds(parsed.nanoseconds)
    }
}

/// `HOST:PORT` and `[v6]:PORT` parsing for listen addresses.
enum HostPort {
    static func parse(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
