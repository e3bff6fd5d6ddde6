import Foundation
import Testing

/// An ingress gateway router in front of a workload: Gateway + VirtualService from Bookinfo's shape.
@Suite("gateway router", .serialized)
struct GatewayTests {
    /// Bookinfo's Gateway on one port.
    static func gateway(port: Int) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo-gateway}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: \(port), name: http, protocol: HTTP}
            hosts: ["*"]
        """
    }

    @Test("the router opens the Gateway's port and routes the VirtualService bound to it; other paths 404")
    func ingress() throws {
        let mesh = try MeshHarness()
        let port = Int.random(in: 20000...29000)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Service
        metadata: {name: productpage}
        spec:
          selector: {app: productpage}
          ports: [{name: http, port: 9080}]
        ---
        \(Self.gateway(port: port))
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo}
        spec:
          hosts: ["*"]
          gateways: [bookinfo-gateway]
          http:
          - match:
            - uri: {exact: /productpage}
            - uri: {prefix: /static}
            route:
            - destination: {host: productpage, port: {number: 9080}}
        """).status == 0)
        try mesh.startEcho(name: "productpage-v1", labels: "app=productpage,version=v1")
        let address = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        let router = Process()
        router.executableURL = WeftProcess.executable
        router.arguments = ["proxy", "router", "--address", address, "--namespace", "istio-system", "--labels", "istio=ingressgateway",
                            "--discovery-address", mesh.controlPlane.discoveryAddress]
        router.standardOutput = FileHandle.nullDevice
        router.standardError = FileHandle.nullDevice
        try router.run()
        defer { router.terminate(); router.waitUntilExit() }
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|9080||productpage.default.svc.cluster.local", count: 1)

        var status = 0, body = ""
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            (status, body) = try Curl.get("http://\(address):\(port)/productpage")
            if status == 200 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(status == 200 && body.contains("productpage-v1"), "\(status) \(body)")
        #expect(try Curl.get("http://\(address):\(port)/static/app.css").0 == 200)
        #expect(try Curl.get("http://\(address):\(port)/").0 == 404, "paths outside the VirtualService get 404 from the gateway")

        // The router's listeners are the translated ones: shown by proxy-config, and a Gateway moved
        // to another port closes the old listener and opens the new one.
        let proxyID = "istio-ingressgateway-\(address).istio-system"
        let listeners = try mesh.controlPlane.weft(["proxy-config", "listeners", proxyID])
        #expect(listeners.stdout.contains("0.0.0.0_\(port)") && listeners.stdout.contains("http.\(port)"), "\(listeners.stdout)\(listeners.stderr)")
        let moved = port + 1
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.gateway(port: moved)).status == 0)
        var movedStatus = 0
        let moveDeadline = Date().addingTimeInterval(15)
        while Date() < moveDeadline {
            movedStatus = try Curl.get("http://\(address):\(moved)/productpage").0
            if movedStatus == 200 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(movedStatus == 200, "the new port routes")
        #expect(try Curl.get("http://\(address):\(port)/productpage").0 == 0, "the old port is closed")
        mesh.stopWorkloads()
    }
}

/// curl without a proxy, bounded.
enum Curl {
    static func get(_ url: String, headers: [String] = [], options: [String] = []) throws -> (Int, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-m", "5", "-w", "\\n%{http_code}"] + headers.flatMap { ["-H", $0] } + options + [url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}
