import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing
import WeftDiscovery

/// Stands in for a control plane one build newer: it relays a real control plane's discovery
/// stream and adds to every response, and to every resource in it, a field this build's messages
/// do not have, as a newer build's messages would carry. ACKs and NACKs go back unchanged.
struct NewerControlPlaneRelay: Weft_Discovery_V1_AggregatedDiscoveryService.SimpleServiceProtocol {
    let upstreamHost: String
    let upstreamPort: Int
    /// Resources sent on with the extra field.
    let extended: ExtendedCount

    /// A count shared by the relay's streams.
    final class ExtendedCount: Sendable {
        let value = Atomic<Int>(0)
    }

    func streamAggregatedResources(request: RPCAsyncSequence<Weft_Discovery_V1_DiscoveryRequest, any Error>,
                                   response: RPCWriter<Weft_Discovery_V1_DiscoveryResponse>, context: ServerContext) async throws {
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: upstreamHost, port: upstreamPort), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { client in
            let discovery = Weft_Discovery_V1_AggregatedDiscoveryService.Client(wrapping: client)
            try await discovery.streamAggregatedResources { writer in
                for try await message in request { try await writer.write(message) }
            } onResponse: { upstream in
                for try await message in upstream.messages { try await response.write(try newer(message)) }
            }
        }
    }

    private func newer(_ message: Weft_Discovery_V1_DiscoveryResponse) throws -> Weft_Discovery_V1_DiscoveryResponse {
        var message = message
        for index in message.resources.indices {
            message.resources[index].payload = Self.withUnknownField(message.resources[index].payload)
            extended.value.add(1, ordering: .relaxed)
        }
        let bytes: Data = try message.serializedBytes()
        return try Weft_Discovery_V1_DiscoveryResponse(serializedBytes: Self.withUnknownField(bytes))
    }

    /// A length-delimited field numbered past anything this build defines.
    static func withUnknownField(_ payload: Data) -> Data {
        func varint(_ value: Int) -> [UInt8] {
            var value = UInt64(value)
            var bytes: [UInt8] = []
            repeat {
                bytes.append(UInt8(value & 0x7f) | (value > 0x7f ? 0x80 : 0))
                value >>= 7
            } while value != 0
            return bytes
        }
        let text = Array("a field from a newer build".utf8)
        return payload + Data(varint(10_000 << 3 | 2) + varint(text.count) + text)
    }
}

/// Runs the relay's tasks on a queue of their own: the cooperative pool is as wide as the machine
/// has cores (two in CI), and the end-to-end tests beside this one block its threads while they
/// wait on processes, which would starve the relay and with it the proxy behind it.
final class DedicatedExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "weft.tests.relay")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

@Suite("wire compatibility", .serialized)
struct WireCompatibilityTests {
    /// The pod IP of the proxy named `prefix…` once it is SYNCED (nil after 60 s), waited for on this thread.
    static func syncedPodIP(of prefix: String, controlPlane: ControlPlaneProcess) -> String? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let proxy = try? controlPlane.proxies().first(where: { $0.id.hasPrefix(prefix) }), proxy.state == "SYNCED" { return proxy.podIP }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    @Test("a proxy whose messages lack fields the control plane sends ignores them: it ACKs and routes by the configuration")
    func newerControlPlane() async throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsWithSubsets + "\n---\n" + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http: [{route: [{destination: {host: reviews, subset: v2}}]}]
        """).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        try mesh.startEcho(name: "reviews-v2", labels: "app=reviews,version=v2")

        let parts = mesh.controlPlane.discoveryAddress.split(separator: ":")
        let extended = NewerControlPlaneRelay.ExtendedCount()
        let relay = NewerControlPlaneRelay(upstreamHost: String(parts[0]), upstreamPort: Int(parts[1]) ?? 0, extended: extended)
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [relay])
        let serving = Task(executorPreference: DedicatedExecutor()) { try await server.serve() }
        defer { serving.cancel() }
        let relayPort = try #require(try await transport.listeningAddress.ipv4).port

        // A client whose sidecar gets its configuration through the relay.
        let client = Process()
        client.executableURL = WeftProcess.executable
        client.arguments = ["run", "--labels", "app=compat-client", "--name", "compat-client", "--", "sleep", "600"]
        client.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
            .merging(["WEFT_DISCOVERY_ADDRESS": "127.0.0.1:\(relayPort)", "CA_ADDR": mesh.controlPlane.discoveryAddress]) { _, new in new }
        // Its output is kept for the failure message (a slow start under a loaded CI machine shows there).
        let clientLog = FileManager.default.temporaryDirectory.appendingPathComponent("compat-client-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: clientLog.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: clientLog)
        client.standardOutput = logHandle
        client.standardError = logHandle
        try client.run()
        mesh.adopt(client)

        // SYNCED on the real control plane: every type ACKed (through the relay), none NACKed. Polled
        // without an await: the end-to-end tests beside this one hold the cooperative pool's threads
        // for seconds at a time, and a poll resumed only when one comes free could outlast the deadline.
        let podIP = Self.syncedPodIP(of: "compat-client-", controlPlane: mesh.controlPlane)
        let status = try mesh.controlPlane.weft(["proxy-status"]).stdout
        let clientOutput = (try? String(contentsOf: clientLog, encoding: .utf8)) ?? ""
        let address = try #require(podIP, "the proxy behind the relay never ACKed every type: \(status)\nits output:\n\(clientOutput)")
        try mesh.waitForEndpoints(proxy: "compat-client", cluster: "outbound|9080|v2|reviews.default.svc.cluster.local", count: 1)
        #expect(extended.value.load(ordering: .relaxed) > 0, "the relay added fields to the resources it passed on")

        var answers: [String] = []
        for _ in 0..<10 {
            let (status, body) = try mesh.curl(through: address, "http://reviews:9080/")
            answers.append(status == 200 && body.contains("reviews-v2") ? "v2" : "\(status) \(body)")
        }
        #expect(answers == Array(repeating: "v2", count: 10), "routed by the VirtualService the relay passed on: \(answers)")
        server.beginGracefulShutdown()
    }
}
