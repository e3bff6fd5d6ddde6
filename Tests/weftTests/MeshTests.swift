import Foundation
import Synchronization
import Testing

private let reviewsService = MeshFixtures.reviewsWithSubsets

private func virtualService(_ http: String) -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews}
    spec:
      hosts: [reviews]
      http:
    \(http)
    """
}

/// The data path end to end: real control plane, real sidecars (`weft run`), real apps and clients.
@Suite("mesh end to end", .serialized)
struct MeshTests {
    @Test("routing: all endpoints without a VirtualService (two replicas on one port), weights, headers; apply→effect measured")
    func routing() throws {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1-a", labels: "app=reviews,version=v1")
        try mesh.startEcho(name: "reviews-v1-b", labels: "app=reviews,version=v1")
        try mesh.startEcho(name: "reviews-v2", labels: "app=reviews,version=v2")
        try mesh.waitForProxies(3)
        try mesh.waitForEndpoints(proxy: "reviews-v2", count: 3)

        let spread = try mesh.client("http://reviews:9080/reviews/0", count: 30)
        #expect(spread.failures.isEmpty, "\(spread.failures)")
        #expect(Set(spread.names.keys) == ["reviews-v1-a", "reviews-v1-b", "reviews-v2"], "round robin reaches every endpoint: \(spread.names)")

        // Weighted split: 75/25 over 400 requests. Round robin over the three replicas would give
        // v2 a third (133); 25 % is 100, and 74...126 is three standard deviations of it.
        let applied = Date()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: virtualService("""
          - route:
            - destination: {host: reviews, subset: v1}
              weight: 75
            - destination: {host: reviews, subset: v2}
              weight: 25
        """)).status == 0)
        var effect: TimeInterval?
        while Date().timeIntervalSince(applied) < 10 {
            // The change is visible once the subset v1 endpoints are the only ones besides v2 and no 404s remain.
            let probe = try mesh.client("http://reviews:9080/", count: 1, headers: ["x-probe=1"])
            if probe.failures.isEmpty { effect = Date().timeIntervalSince(applied); break }
        }
        let split = try mesh.client("http://reviews.default.svc.cluster.local:9080/", count: 400)
        #expect(split.failures.isEmpty)
        let v2 = split.names["reviews-v2", default: 0]
        #expect(v2 >= 74 && v2 <= 126, "25% of 400 is 100 (round robin would give 133); got \(v2) (\(split.names))")

        // Header routing: jason always reaches v2, everyone else v1; measure apply→effect.
        let headerApplied = Date()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: virtualService("""
          - match:
            - headers:
                end-user: {exact: jason}
            route: [{destination: {host: reviews, subset: v2}}]
          - route: [{destination: {host: reviews, subset: v1}}]
        """)).status == 0)
        var headerEffect: TimeInterval?
        while Date().timeIntervalSince(headerApplied) < 10 {
            if try mesh.client("http://reviews:9080/", count: 1, headers: ["end-user=jason"]).names == ["reviews-v2": 1] {
                headerEffect = Date().timeIntervalSince(headerApplied)
                break
            }
        }
        #expect(headerEffect != nil)
        print("mesh: apply→effect (including one client run) \(String(format: "%.3f", headerEffect ?? -1)) s; weighted apply \(String(format: "%.3f", effect ?? -1)) s")
        let jason = try mesh.client("http://reviews:9080/", count: 10, headers: ["end-user=jason"])
        #expect(jason.names == ["reviews-v2": 10])
        let others = try mesh.client("http://reviews:9080/", count: 10)
        #expect(Set(others.names.keys).isSubset(of: ["reviews-v1-a", "reviews-v1-b"]) && others.names.values.reduce(0, +) == 10, "\(others.names)")

        // No route for the request: 404 NR from the client's sidecar.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: virtualService("""
          - match:
            - uri: {prefix: /only}
            route: [{destination: {host: reviews, subset: v1}}]
        """)).status == 0)
        var notFound: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            notFound = try mesh.client("http://reviews:9080/elsewhere", count: 1).failures
            if notFound == ["404": 1] { break }
        }
        #expect(notFound == ["404": 1])
        mesh.stopWorkloads()
    }

    @Test("a running sidecar follows each update of a VirtualService, also one that only renames the subset (same-length payload)")
    func updatesReachRunningSidecar() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        try mesh.startEcho(name: "reviews-v2", labels: "app=reviews,version=v2")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 2)
        /// Polls (bounded) until requests through the long-lived client reach `name`.
        func reaches(_ name: String) throws -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if try mesh.curl(through: client, "http://reviews:9080/").1.contains("\"\(name)\"") { return true }
            }
            return false
        }
        for version in ["v1", "v2", "v1", "v2"] {
            #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: virtualService("  - route: [{destination: {host: reviews, subset: \(version)}}]")).status == 0)
            #expect(try reaches("reviews-\(version)"), "the route to \(version) never reached the running sidecar")
        }
    }

    @Test("a configuration the proxy cannot use is NACKed, shown by proxy-status, and the old one keeps serving")
    func nack() throws {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        try mesh.waitForProxies(1)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        // Valid Istio, but a ring larger than the proxy's maximum (Envoy refuses the same).
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer:
              consistentHash:
                httpHeaderName: x-user
                ringHash: {minimumRingSize: 10000000}
          subsets:
          - {name: v1, labels: {version: v1}}
        """).status == 0)
        var status = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            status = try mesh.controlPlane.weft(["proxy-status"]).stdout
            if status.contains("NACKED") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(status.contains("NACKED"), "\(status)")
        #expect(status.contains("exceeds the maximum"))
        for _ in 0..<5 {
            let (status, body) = try mesh.curl(through: client, "http://reviews:9080/")
            #expect(status == 200 && body.contains("reviews-v1"), "the previous configuration keeps serving: \(status) \(body)")
        }
        mesh.stopWorkloads()
    }

    @Test("the control plane restarts: traffic keeps flowing meanwhile, and the configuration is still there")
    func controlPlaneRestart() throws {
        let port = try FreePort.find()
        let first = try MeshHarness(discoveryPort: port)
        #expect(try first.controlPlane.weft(["apply", "-f", "-"], stdin: reviewsService).status == 0)
        try first.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        try first.waitForProxies(1)
        let client = try first.startClient()
        try first.waitForEndpoints(proxy: "client-", count: 1)
        #expect(first.controlPlane.stop() == 0)
        // The control plane is away: the sidecars keep their last good configuration.
        for _ in 0..<5 {
            let (status, body) = try first.curl(through: client, "http://reviews:9080/")
            #expect(status == 200 && body.contains("reviews-v1"), "\(status) \(body)")
        }
        let restarted = try ControlPlaneProcess(restarting: first.controlPlane, discoveryPort: port)
        #expect(try restarted.weft(["get", "dr", "reviews"]).status == 0, "the configuration survived the restart")
        var status = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            status = try restarted.weft(["proxy-status"]).stdout
            if status.split(separator: "\n").filter({ $0.hasSuffix("SYNCED") }).count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(status.contains("reviews-v1"), "the sidecar reconnected: \(status)")
        first.stopWorkloads()
        restarted.stop()
    }
}

/// A free loopback TCP port (bound and released), for a listener that must keep its port across restarts.
enum FreePort {
    /// A port below the kernel's ephemeral range (32768–60999) that binds now, never the same one
    /// twice in a run. A port found by binding port 0 and closing it was an ephemeral one, which
    /// the kernel could hand to the next port-0 bind (a control plane's, in `weft demo`) before the
    /// caller bound it: the demo's gateway then found its port taken.
    static func find() throws -> Int {
        for _ in 0..<500 {
            let port = Int.random(in: 20_000..<32_000)
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh, LoopbackSocket.canBind(port) { return port }
        }
        let (socket, port) = LoopbackSocket.bind()
        close(socket)
        return port
    }

    private static let handedOut = Mutex<Set<Int>>([])
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks: the socket and that port (0 when binding failed).
enum LoopbackSocket {
    /// Whether 127.0.0.1:`port` can be bound now (the socket is closed again).
    static func canBind(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Whether something accepts TCP connections on `host`:`port` now (a server started in the
    /// background is ready once it does).
    static func accepts(host: String, port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func bind() -> (socket: Int32, port: Int) {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return (socket, bound == 0 ? Int(UInt16(bigEndian: address.sin_port)) : 0)
    }
}
