import Foundation
import NIOConcurrencyHelpers
import WeftHTTPServer
import WeftModel

/// The proxy's admin API on 15000 (Envoy's paths): readiness, stats, config dump, shutdown, logging.
struct AdminEndpoint: Sendable {
    let configuration: ConfigurationStore
    let stats: ProxyStats
    let balancer: LoadBalancerState
    let ready: NIOLockedValueBox<Bool>
    let identity: [String: String]
    /// The workload certificate in use (sidecars), shown on `/certs`.
    var certificates: WorkloadCertificates? = nil
    /// Istio's standard metrics, beside the Envoy-style counters on `/stats/prometheus`.
    var telemetry: ProxyTelemetry? = nil
    let quit: @Sendable () -> Void

    /// `:15020`: only the metrics.
    func metrics(_ request: APIRequest) async -> APIResponse {
        guard request.method == .GET, request.path == "/stats/prometheus" || request.path == "/metrics" else { return .text(.notFound, "not found\n") }
        return await prometheus()
    }

    /// Envoy-style counters then Istio's metrics, as one exposition.
    func prometheus() async -> APIResponse {
        let active = configuration.active
        let istio = await telemetry?.prometheusText(hiding: active.hiddenMetrics, overrides: active.tagOverrides) ?? ""
        return APIResponse(status: .ok, contentType: "text/plain; version=0.0.4", body: Array((stats.prometheusText() + istio).utf8))
    }

    func handle(_ request: APIRequest) async -> APIResponse {
        switch (request.method, request.path) {
        case (.GET, "/healthz/ready"):
            return ready.withLockedValue { $0 } ? .text(.ok, "LIVE\n") : .text(.serviceUnavailable, "not ready\n")
        case (.GET, "/stats/prometheus"):
            return await prometheus()
        case (.GET, "/stats"):
            return .text(.ok, stats.all.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") + "\n")
        case (.GET, "/clusters"):
            let hosts = ClusterHealth.hosts(configuration.active, ejections: balancer.ejections())
            if request.query["format"] == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return APIResponse(status: .ok, body: Array((try? encoder.encode(["hosts": hosts])) ?? Data("{}".utf8)))
            }
            return .text(.ok, hosts.map(\.envoyLines).joined())
        case (.GET, "/config_dump"):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let dump = ConfigDump(node: identity, configuration: configuration.active.configuration)
            return APIResponse(status: .ok, body: Array((try? encoder.encode(dump)) ?? Data("{}".utf8)))
        case (.GET, "/certs"):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let shown = Certificates(certificates: certificates?.certificate.map { [CertificateView($0)] } ?? [],
                                     credentials: CredentialView.all(in: configuration.active.configuration))
            return APIResponse(status: .ok, body: Array((try? encoder.encode(shown)) ?? Data("{}".utf8)))
        case (.GET, "/memory"):
            return APIResponse(status: .ok, body: Array(ProcessMemory.json.utf8))
        case (.POST, "/quitquitquit"):
            quit()
            return .text(.ok, "OK\n")
        case (.POST, "/logging"), (.GET, "/logging"):
            return .text(.ok, "active loggers:\n  weft: info\n")
        default:
            return .text(.notFound, "unknown admin path \(request.path)\n")
        }
    }

    /// One certificate as `/certs` (and `weft proxy-config secret`) shows it.
    struct CertificateView: Encodable {
        var identity: String
        var serialNumber: String
        var validFrom: Date
        var validTo: Date
        var certificateChain: String
        var rootCertificate: String

        init(_ certificate: WorkloadCertificate) {
            identity = certificate.identity.uri
            serialNumber = certificate.serialNumber
            validFrom = certificate.notBefore
            validTo = certificate.notAfter
            certificateChain = certificate.chainPEM
            rootCertificate = certificate.rootPEM
        }
    }

    /// What `/certs` shows: the workload certificate, and a gateway's credentials.
    struct Certificates: Encodable {
        var certificates: [CertificateView]
        var credentials: [CredentialView]
    }

    /// What `/config_dump` shows.
    struct ConfigDump: Encodable {
        var node: [String: String]
        var configuration: ProxyConfiguration
    }
}
