import NIOCore
import NIOPosix
import ServiceLifecycle

/// Probes the application's ports (TCP connect, as a Kubernetes tcpSocket probe) until every
/// one answers, then keeps checking; the result feeds `WorkloadReadiness`. A container port a
/// Sidecar ingress listener forwards elsewhere (`defaultEndpoint`) is probed where it goes.
public struct AppReadinessProbe: Service {
    let host: String
    let ports: [Int]
    let readiness: WorkloadReadiness
    let eventLoop: any EventLoop
    let appPort: @Sendable (Int) -> Int
    /// Where probes come from (transparent mode: 127.0.0.6, as the sidecar's connections to the app).
    var sourceAddress: String?

    public init(host: String, ports: [Int], readiness: WorkloadReadiness, eventLoop: any EventLoop, sourceAddress: String? = nil,
                appPort: @escaping @Sendable (Int) -> Int = { $0 }) {
        self.sourceAddress = sourceAddress
        self.host = host
        self.ports = ports
        self.readiness = readiness
        self.eventLoop = eventLoop
        self.appPort = appPort
    }

    public func run() async throws {
        guard !ports.isEmpty else { readiness.set(true); return }
        try? await cancelWhenGracefulShutdown {
            var threshold = ReadinessThreshold()
            while !Task.isCancelled {
                var answering = true
                for port in ports {
                    do {
                        var bootstrap = ClientBootstrap(group: eventLoop).connectTimeout(ReadinessThreshold.timeout)
                        if let sourceAddress, let local = try? SocketAddress(ipAddress: sourceAddress, port: 0) { bootstrap = bootstrap.bind(to: local) }
                        let channel = try await bootstrap.connect(host: host, port: appPort(port)).get()
                        try? await channel.close()
                    } catch {
                        answering = false
                        break
                    }
                }
                let ready = threshold.probed(answering: answering)
                readiness.set(ready)
                try await Task.sleep(for: ready ? .seconds(1) : .milliseconds(25))
            }
        }
    }
}

/// Kubernetes' probe thresholds, as a pod's readiness follows its probe: the first success makes
/// it ready, and only `failureThreshold` failures in a row (each a connect not done within
/// `timeout`) make a ready app unready again. One late connect on a busy host (the sidecar's own
/// event loop carrying load) must not take the endpoint out of every proxy's load balancing.
struct ReadinessThreshold {
    /// Kubernetes' defaults: `timeoutSeconds: 1`, `failureThreshold: 3`.
    static let timeout = TimeAmount.seconds(1)
    static let failureThreshold = 3

    private var ready = false
    private var failures = 0

    /// The readiness after one probe.
    mutating func probed(answering: Bool) -> Bool {
        if answering {
            failures = 0
            ready = true
        } else {
            failures += 1
            if failures >= Self.failureThreshold { ready = false }
        }
        return ready
    }
}
