import Foundation

/// The project's Bookinfo manifests (`examples/bookinfo`) and the demo's ingress gateway Service.
enum DemoManifests {
    static let files = ["bookinfo.yaml", "bookinfo-gateway.yaml", "destination-rule-all.yaml"]

    /// Thrown when the manifests cannot be found.
    struct Missing: Error, CustomStringConvertible { var description: String }

    /// `examples/bookinfo` of the checkout this `weft` was built in, or of the working directory.
    static func directory(explicit: String?) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        var candidates: [URL] = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var up = DemoProcesses.weftExecutable.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(up)
            up = up.deletingLastPathComponent()
        }
        for base in candidates {
            let directory = base.appendingPathComponent("examples/bookinfo")
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("bookinfo.yaml").path) { return directory }
        }
        throw Missing(description: "cannot find examples/bookinfo (looked beside \(DemoProcesses.weftExecutable.path) and in the working directory); give --manifests DIR")
    }

    /// The stock ingress gateway's Service, in host mode: Gateway ports 80 and 8080 (Istio's
    /// Service port and container port) both listen on the demo's port.
    /// The Secret the demo's HTTPS server names.
    static let credentialName = "bookinfo-credential"

    /// examples/bookinfo's Gateway with an HTTPS server beside its HTTP one (Service port 443).
    static let httpsGateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo-gateway, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: ["*"]
            tls: {mode: SIMPLE, credentialName: \(credentialName)}
        """

    static func ingressService(port: Int, httpsPort: Int) -> String {
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: istio-system
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: istio-ingressgateway
          namespace: istio-system
          labels: {app: istio-ingressgateway, istio: ingressgateway}
        spec:
          selector: {istio: ingressgateway}
          ports:
          - {name: http2, port: 80, targetPort: \(port)}
          - {name: http-alt, port: 8080, targetPort: \(port)}
          - {name: https, port: 443, targetPort: \(httpsPort)}\n
        """
    }
}
