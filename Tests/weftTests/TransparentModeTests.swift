import Foundation
import Testing

/// Transparent mode (`weft run --netns`, issue 18): each pod its own network namespace, every
/// connection captured by iptables, service names answered by the sidecar's DNS, apps with no
/// proxy settings at all; STRICT that a pod without a sidecar cannot walk around; nothing left
/// behind. Real namespaces, veths, iptables, curl, redis; addresses only inside the namespaces
/// the test makes (198.18.0.0/15 and the 240.240.0.0/16 virtual IPs). One serialized suite: every
/// test here makes pods, and the checks that nothing is left see them all.
@Suite("transparent mode: network namespaces, iptables capture, DNS", .serialized,
       .enabled(if: TransparentPods.available, "needs root, ip, iptables and setpriv (.ci/run installs iptables)"))
struct TransparentModeTests {
    static let services = """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: default}
        spec:
          selector: {app: echo}
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: cache, namespace: default}
        spec:
          selector: {app: cache}
          ports: [{name: tcp-redis, port: 6379}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: shop}
        spec:
          clusterIP: 10.96.0.42
          selector: {app: ratings}
          ports: [{name: http, port: 9080}]
        """

    @Test("an app with no proxy settings calls a service by name over mutual TLS; DNS answers every Kubernetes name form; a TCP service (Redis) by name")
    func byName() throws {
        let pods = try TransparentPods()
        defer { pods.stop() }
        try pods.apply(Self.services)
        let echo = try pods.start("echo", labels: "app=echo", ports: [9080], command: ["python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path])
        let cache = try pods.start("cache", labels: "app=cache", ports: [6379], command: ["redis-server", "--port", "6379", "--bind", "0.0.0.0", "--save", "", "--appendonly", "no", "--protected-mode", "no"])
        let sleep = try pods.start("sleep", labels: "app=sleep", command: ["sleep", "600"])
        try pods.waitForApp(echo, port: 9080)

        #expect(try pods.exec(sleep, "env | grep -i _proxy || true").output.isEmpty, "no proxy settings in the app's environment")
        let vip = try #require(try pods.exec(sleep, "getent ahostsv4 echo.default.svc.cluster.local | head -1 | cut -d' ' -f1").output.split(separator: "\n").first.map(String.init))
        #expect(vip.hasPrefix("240.240."), "an allocated virtual IP: \(vip)")
        for name in ["echo", "echo.default", "echo.default.svc", "echo.default.svc.cluster.local"] {
            let answer = try pods.exec(sleep, "python3 -c 'import socket,sys; print(socket.gethostbyname(sys.argv[1]))' \(name)")
            #expect(answer.output.trimmingCharacters(in: .whitespacesAndNewlines) == vip, "\(name): \(answer)")
        }
        #expect(try pods.exec(sleep, "getent hosts ratings.shop | cut -d' ' -f1").output.trimmingCharacters(in: .whitespacesAndNewlines) == "10.96.0.42", "a declared clusterIP")
        #expect(try pods.exec(sleep, "getent hosts nothing.default.svc.cluster.local").status == 2, "an unknown cluster name does not exist")
        // Other names go to the host's resolver (here the test's DNS server, as WEFT_DNS_SERVER names it to weft run).
        #expect(try pods.exec(sleep, "getent ahostsv4 external.test | head -1 | cut -d' ' -f1").output.trimmingCharacters(in: .whitespacesAndNewlines) == "203.0.113.7")

        try pods.waitUntil("the client's sidecar knows echo") { (try? pods.exec(sleep, "curl -s -o /dev/null -w '%{http_code}' http://echo:9080/ready").output) == "200" }
        let reply = try pods.exec(sleep, "curl -s -m 10 http://echo:9080/hello")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(reply.output.utf8)) as? [String: Any], "\(reply)")
        let headers = body["headers"] as? [String: String] ?? [:]
        #expect(headers["x-forwarded-client-cert"]?.contains("URI=spiffe://cluster.local/ns/default/sa/default") == true, "mutual TLS between the sidecars: \(headers)")
        #expect(headers["x-forwarded-for"] == nil, "neither sidecar adds X-Forwarded-For (Istio's have use_remote_address off): \(headers)")
        #expect(headers["host"] == "echo:9080")
        // A pod calling its own service: out through its sidecar and in again through the same one (mutual TLS terminated there).
        let selfCall = try pods.exec(echo, "curl -s -m 10 http://echo:9080/self")
        #expect(selfCall.output.contains("\"path\": \"/self\"") && selfCall.output.contains("x-forwarded-client-cert"), "\(selfCall)")

        try pods.waitUntil("redis by name") { (try? pods.exec(sleep, "redis-cli -h cache SET weft transparent").output.trimmingCharacters(in: .whitespacesAndNewlines)) == "OK" }
        #expect(try pods.exec(sleep, "redis-cli -h cache GET weft").output.trimmingCharacters(in: .whitespacesAndNewlines) == "transparent")
        let stats = try pods.stats(of: sleep)
        #expect(stats.contains("cluster.outbound|6379||cache.default.svc.cluster.local.upstream_cx_total: "), "spliced to the cache's cluster")
        #expect(try pods.stats(of: cache).contains("ssl.handshake: "), "the cache's sidecar terminated mutual TLS")

        // A ServiceEntry host resolves to its virtual IP too, and a call to it reaches its endpoint.
        try pods.apply("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: partner, namespace: default}
            spec:
              hosts: [api.partner.example]
              location: MESH_EXTERNAL
              ports: [{number: 80, name: http, protocol: HTTP, targetPort: 9080}]
              resolution: STATIC
              endpoints: [{address: "\(echo.ip)"}]
            """)
        try pods.waitUntil("the ServiceEntry host resolves") { (try? pods.exec(sleep, "getent ahostsv4 api.partner.example").output)?.contains("240.240.") == true }
        try pods.waitUntil("a call to the ServiceEntry host reaches its endpoint") {
            (try? pods.exec(sleep, "curl -s -m 5 http://api.partner.example/entry").output)?.contains("\"path\": \"/entry\"") == true
        }
    }

    @Test("original destinations outside the registry: ALLOW_ANY passes through to the address the app called (PassthroughCluster); REGISTRY_ONLY closes it (BlackHoleCluster)")
    func outboundTrafficPolicy() throws {
        let pods = try TransparentPods()
        defer { pods.stop() }
        try pods.apply(Self.services)
        let plain = try pods.start("plain", labels: "app=plain", command: ["python3", "-m", "http.server", "7777", "--bind", "0.0.0.0"], sidecar: false)
        let sleep = try pods.start("sleep", labels: "app=sleep", command: ["sleep", "600"])
        try pods.waitUntil("the unregistered server listens") { (try? pods.hostCurl("http://\(plain.ip):7777/").output)?.contains("Directory listing") == true }
        #expect(try pods.exec(sleep, "curl -s -o /dev/null -w '%{http_code}' -m 5 http://\(plain.ip):7777/").output == "200", "ALLOW_ANY (Istio's default)")
        #expect(try pods.stats(of: sleep).contains("cluster.PassthroughCluster.upstream_cx_total: "))
        try pods.apply("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            """)
        // Closed with no answer: curl says empty reply (52), or reset (56) when its request was already on the way.
        try pods.waitUntil("REGISTRY_ONLY closes the call") { [52, 56].contains((try? pods.exec(sleep, "curl -s -o /dev/null -m 5 http://\(plain.ip):7777/").status) ?? 0) }
        #expect(try pods.stats(of: sleep).contains("cluster.BlackHoleCluster.upstream_cx_total: "))
    }

    @Test("mTLS migration with a real outsider: a pod without a sidecar gets 200 under PERMISSIVE; under STRICT curl exits 56 on the service port, on the capture ports and on any other port; sidecars keep 200")
    func strictCannotBeWalkedAround() throws {
        let pods = try TransparentPods()
        defer { pods.stop() }
        try pods.apply(Self.services)
        let echo = try pods.start("echo", labels: "app=echo", ports: [9080], command: ["python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path])
        let sleep = try pods.start("sleep", labels: "app=sleep", command: ["sleep", "600"])
        let legacy = try pods.start("legacy", labels: "app=legacy", command: ["sleep", "600"], sidecar: false)
        try pods.waitForApp(echo, port: 9080)
        #expect(try pods.exec(legacy, "curl -s -o /dev/null -w '%{http_code}' -m 5 http://\(echo.ip):9080/").output == "200", "PERMISSIVE takes plaintext")

        // The task's own mesh-wide STRICT (the corpus file, where present).
        let strict = BookinfoDemo.corpus.appendingPathComponent("docs-tasks/mtls-migration/02-peerauthentication-mesh-strict.yaml")
        try pods.apply((try? String(contentsOf: strict, encoding: .utf8)) ?? """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: STRICT}}
            """)
        try pods.waitUntil("STRICT refuses the legacy pod") { (try? pods.exec(legacy, "curl -s -o /dev/null -m 5 http://\(echo.ip):9080/").status) == 56 }
        for port in [9080, 15001, 15006, 8080] {
            let refused = try pods.exec(legacy, "curl -s -o /dev/null -w '%{http_code}' -m 5 http://\(echo.ip):\(port)/")
            #expect(refused.status == 56 && refused.output == "000", "legacy → echo:\(port) under STRICT: \(refused)")
        }
        #expect(try pods.exec(sleep, "curl -s -o /dev/null -w '%{http_code}' -m 10 http://echo:9080/").output == "200", "a sidecar's call is mutual TLS")
        #expect(try pods.stats(of: echo).contains("no_filter_chain_match: "), "the refusals are counted")
    }

    @Test("traffic.sidecar.istio.io annotations: an excluded outbound port goes direct, an excluded inbound port reaches the app without its sidecar")
    func exclusions() throws {
        let pods = try TransparentPods()
        defer { pods.stop() }
        try pods.apply(Self.services + """

            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: direct, namespace: default}
            spec:
              selector: {matchLabels: {app: direct}}
              template:
                metadata:
                  labels: {app: direct}
                  annotations:
                    traffic.sidecar.istio.io/excludeOutboundPorts: "9080"
                    traffic.sidecar.istio.io/excludeInboundPorts: "7070"
                spec:
                  containers: [{name: direct, image: sleep, ports: [{containerPort: 7070}]}]
            """)
        let echo = try pods.start("echo", labels: "app=echo", ports: [9080], command: ["python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path])
        let direct = try pods.start("direct", deployment: "direct", command: ["sh", "-c", "PORT=7070 APP_NAME=direct python3 \(MeshHarness.fixtures.appendingPathComponent("echo_app.py").path)"])
        try pods.waitForApp(echo, port: 9080)
        // Outbound 9080 is not captured: the call reaches echo's sidecar as plaintext from outside the mesh.
        let reply = try pods.exec(direct, "curl -s -m 10 http://\(echo.ip):9080/hello")
        let headers = (try? JSONSerialization.jsonObject(with: Data(reply.output.utf8)) as? [String: Any])?["headers"] as? [String: String] ?? [:]
        #expect(!headers.isEmpty && headers["x-forwarded-client-cert"] == nil && headers["x-weft-peer-metadata"] == nil, "no client sidecar on the way: \(reply)")
        // Inbound 7070 is not captured: the app answers without a sidecar in front (no x-request-id added).
        try pods.waitUntil("direct's app listens") { (try? pods.hostCurl("http://\(direct.ip):7070/hello").output)?.contains("direct") == true }
        let inbound = try pods.hostCurl("http://\(direct.ip):7070/hello")
        #expect(inbound.output.contains("\"name\": \"direct\"") && !inbound.output.contains("x-request-id"), "\(inbound)")
        let through = try pods.hostCurl("http://\(echo.ip):9080/hello")
        #expect(through.output.contains("x-request-id"), "a captured port goes through the sidecar: \(through)")
    }

    @Test("weft proxy sidecar --netns: a pod of the sidecar alone; an app started in it with ip netns exec is served through it")
    func sidecarOnly() throws {
        let pods = try TransparentPods()
        defer { pods.stop() }
        try pods.apply(Self.services)
        let sidecar = Process()
        sidecar.executableURL = WeftProcess.executable
        sidecar.arguments = ["proxy", "sidecar", "--netns", "--name", "echo", "--labels", "app=echo", "--port", "9080"]
        sidecar.environment = ProcessInfo.processInfo.environment.merging(pods.mesh.environment) { _, new in new }
        try pods.mesh.captureOutput(of: sidecar, name: "solo")
        try sidecar.run()
        pods.mesh.adopt(sidecar)
        var namespace = "", ip = ""
        try pods.waitUntil("the sidecar's pod is made") {
            let output = pods.mesh.output(of: "solo")
            guard let range = output.range(of: #"pod ([0-9.]+) in network namespace (weft-[0-9-]+)"#, options: .regularExpression) else { return false }
            let words = output[range].split(separator: " ")
            (ip, namespace) = (String(words[1]), String(words[5]))
            return true
        }
        let app = Process()
        app.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        app.arguments = ["ip", "netns", "exec", namespace, "env", "WEFT_APP_ADDRESS=\(ip)", "PORT=9080", "APP_NAME=solo",
                         "python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path]
        try pods.mesh.captureOutput(of: app, name: "solo-app")
        try app.run()
        pods.mesh.adopt(app)
        try pods.waitUntil("the app answers through the sidecar") { (try? pods.hostCurl("http://\(ip):9080/hello").output)?.contains("x-request-id") == true }
    }

    @Test("a pod killed with SIGKILL leaves nothing after weft cleanup: no namespace, veth, bridge, process or file; the host's own rules untouched")
    func cleanupAfterKill() throws {
        let hostRules = try WeftProcess.runTool("iptables-save", [])
        let pods = try TransparentPods()
        defer { pods.stop() }
        try pods.apply(Self.services)
        let echo = try pods.start("echo", labels: "app=echo", ports: [9080], command: ["python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path])
        try pods.waitForApp(echo, port: 9080)
        kill(echo.process.processIdentifier, SIGKILL)
        echo.process.waitUntilExit()
        #expect(try WeftProcess.runTool("ip", ["netns", "list"]).contains(echo.namespace), "a killed run cannot remove its namespace")
        let cleanup = try WeftProcess.run(["cleanup"])
        #expect(cleanup.status == 0 && cleanup.stdout.contains(echo.namespace), "\(cleanup)")
        #expect(!(try WeftProcess.runTool("ip", ["netns", "list"]).contains("weft-")))
        let links = try WeftProcess.runTool("ip", ["-o", "link", "show"])
        #expect(!links.contains("weft0") && !links.contains(": wh"), "\(links)")
        #expect(!(try WeftProcess.runTool("pgrep", ["-f", "proxy sidecar --capture --pod-ip \(echo.ip) "])).contains(where: \.isNumber), "the pod's processes are gone")
        #expect(!FileManager.default.fileExists(atPath: "/etc/netns/\(echo.namespace)"))
        #expect(try WeftProcess.runTool("iptables-save", []) == hostRules, "the host's rules are never touched")
    }

    @Test("bad input: not root, a colliding range and a bad annotation are refused before anything is made")
    func badInput() throws {
        let pods = try TransparentPods()
        defer { pods.stop() }
        let notRoot = try WeftProcess.runTool("sh", ["-c", "setpriv --reuid 65534 --regid 65534 --clear-groups \(WeftProcess.executable.path) run --netns --control-plane \(pods.mesh.controlPlane.url) -- true 2>&1; echo \" exit=$?\""])
        #expect(notRoot.contains("--netns needs root") && notRoot.contains("exit=1"), "\(notRoot)")
        let collision = try WeftProcess.run(["run", "--netns", "--netns-range", "127.0.0.0/8", "--control-plane", pods.mesh.controlPlane.url,
                                             "--discovery-address", pods.mesh.controlPlane.discoveryAddress, "--", "true"])
        #expect(collision.status == 1 && collision.stderr.contains("collides with 127.0.0.1/8 on lo"), "\(collision)")
        try pods.apply("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad, namespace: default}
            spec:
              selector: {matchLabels: {app: bad}}
              template:
                metadata:
                  labels: {app: bad}
                  annotations: {traffic.sidecar.istio.io/excludeOutboundPorts: "http"}
                spec:
                  containers: [{name: bad, image: sleep}]
            """)
        let bad = try WeftProcess.run(["run", "--netns", "--deployment", "bad", "--control-plane", pods.mesh.controlPlane.url,
                                       "--discovery-address", pods.mesh.controlPlane.discoveryAddress, "--", "true"])
        #expect(bad.status == 1 && bad.stderr.contains("traffic.sidecar.istio.io/excludeOutboundPorts: \"http\": not a port number"), "\(bad)")
        #expect(!(try WeftProcess.runTool("ip", ["netns", "list"]).contains("weft-")), "nothing was made")
    }

    @Test("weft demo --netns: Bookinfo's page round-robins over reviews v1–v3 from namespaced pods; all-v1 shows no stars; reviews-test-v2 gives jason black stars; Ctrl-C leaves no namespace", .enabled(if: BookinfoDemo.corpusPresent, "needs ../shared/istio-corpus"))
    func routingTasks() throws {
        let demo = try BookinfoDemo(arguments: ["--netns"])
        var stopped = false
        defer { if !stopped { _ = demo.interrupt() } }
        let namespaces = try WeftProcess.runTool("ip", ["netns", "list"]).split(separator: "\n").filter { $0.hasPrefix("weft-") }
        #expect(namespaces.count >= 6, "one network namespace per Bookinfo pod: \(namespaces)")
        let baseline = try demo.visit(30)
        #expect(baseline.titles == ["Simple Bookstore App"] && baseline.failures.isEmpty, "\(baseline.failures)")
        #expect(Set(baseline.servedBy.keys) == ["reviews-v1", "reviews-v2", "reviews-v3"], "\(baseline.servedBy)")
        // Reached by name: every page has its reviews, and the pages of v2 and v3 have stars, unless the
        // page itself says reviews' 2.5 s call to ratings failed (on a loaded 2-core machine, a timeout
        // of a just-started pod's first answers, not a name that did not resolve): a few at most.
        let starred = baseline.stars["black", default: 0] + baseline.stars["red", default: 0]
        let fromV2V3 = baseline.servedBy["reviews-v2", default: 0] + baseline.servedBy["reviews-v3", default: 0]
        #expect(baseline.reviewsErrors == 0 && starred > 0 && starred + baseline.ratingsErrors == fromV2V3 && baseline.ratingsErrors <= 2,
                "productpage reached reviews and reviews reached ratings by name: \(baseline)")

        try demo.apply(corpus: "samples/bookinfo/networking/" + "virtual-service-all-v1.yaml")
        let allV1 = try demo.visit(20)
        #expect(allV1.stars == ["none": 20] && allV1.servedBy == ["reviews-v1": 20], "\(allV1.servedBy)")
        try demo.apply(corpus: "samples/bookinfo/networking/" + "virtual-service-reviews-test-v2.yaml")
        let jason = try demo.visit(15, login: "jason")
        #expect(jason.signedInAs == "jason" && jason.stars == ["black": 15], "\(jason.stars)")
        #expect(try demo.visit(15).stars == ["none": 15])

        stopped = true
        #expect(demo.interrupt() == 0)
        #expect(!(try WeftProcess.runTool("ip", ["netns", "list"]).contains("weft-")), "every pod's namespace went with it")
    }
}
