import NIOCore
import NIOPosix
import ServiceLifecycle

/// Probes the application's ports (TCP connect, as a Kubernetes tcpSocket probe) until every
/// one answers, then keeps checking; the result feeds `WorkloadReadiness`.
public struct AppReadinessProbe: Service {
    let host: String
    let ports: [Int]
    let readiness: WorkloadReadiness
    let eventLoop: any EventLoop

    public init(host: String, ports: [Int], readiness: WorkloadReadiness, eventLoop: any EventLoop) {
        self.host = host
        self.ports = ports
        self.readiness = readiness
        self.eventLoop = eventLoop
    }

    public func run() async throws {
        guard !ports.isEmpty else { readiness.set(true); return }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var answering = true
                for port in ports {
                    do {
                        let channel = try await ClientBootstrap(group: eventLoop).connectTimeout(.milliseconds(200)).connect(host: host, port: port).get()
                        try? await channel.close()
                    } catch {
                        answering = false
                        break
                    }
                }
                readiness.set(answering)
                try await Task.sleep(for: answering ? .seconds(1) : .milliseconds(25))
            }
        }
    }
}
