import Testing
import WeftAPI

@Suite("Decoding")
struct DecodingTests {
    @Test("Istio duration strings", arguments: [
        ("1h2m3.5s", Int64(3_723_500_000_000)), ("100ms", 100_000_000), ("3m", 180_000_000_000), ("0.5s", 500_000_000),
        ("1.500s", 1_500_000_000), ("250us", 250_000), ("0", 0), ("2h", 7_200_000_000_000),
    ])
    func durations(_ text: String, _ nanoseconds: Int64) throws {
        #expect(try IstioDuration(parsing: text).nanoseconds == nanoseconds)
    }

    @Test("bad durations are refused", arguments: ["", "10", "1x", "s", "1..5s", "ms10"])
    func badDurations(_ text: String) {
        #expect(throws: IstioDuration.ParseError.self) { try IstioDuration(parsing: text) }
    }

    @Test("durations print in protobuf JSON form and parse back")
    func durationDescription() throws {
        for text in ["1h2m3.5s", "100ms", "7s", "1.000000001s"] {
            let duration = try IstioDuration(parsing: text)
            #expect(try IstioDuration(parsing: duration.description) == duration)
        }
        #expect(try IstioDuration(parsing: "1m30s").description == "90s")
    }

    @Test("quantities", arguments: [("500m", 0.5), ("2048Mi", 2_147_483_648), ("2", 2), ("1.5Gi", 1_610_612_736), ("1e3", 1000), ("64k", 64_000)])
    func quantities(_ text: String, _ value: Double) throws {
        let quantity = try #require(Quantity(parsing: text))
        #expect(quantity.value == value)
    }

    @Test("a multi-document stream reports each document with its line; empty documents are skipped")
    func multiDocument() {
        let text = """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: a}
        ---
        ---
        # only a comment
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: b}
        """
        let reports = ConfigLoader.load(text: text, file: "x.yaml")
        #expect(reports.map(\.name) == ["a", "b"])
        #expect(reports.map(\.source.line) == [1, 8])
        #expect(reports.allSatisfy { $0.isValid })
    }

    @Test("JSON input and kind: List")
    func jsonList() {
        let text = """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule", "metadata": {"name": "r"}, "spec": {"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}},
          {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reviews"}, "spec": {"ports": [{"port": 9080, "targetPort": "http", "name": "http"}], "selector": {"app": "reviews"}}}
        ]}
        """
        let reports = ConfigLoader.load(text: text, file: "list.json")
        #expect(reports.count == 2)
        #expect(reports.allSatisfy { $0.isValid }, "\(reports.flatMap(\.errors))")
        #expect(reports.map(\.source.item) == [0, 1])
        let service = reports[1].resource as? Service
        #expect(service?.spec?.ports?.first?.targetPort == .string("http"))
    }

    @Test("a YAML syntax error names its line and keeps the documents before it")
    func syntaxError() {
        let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [unclosed\n"
        let reports = ConfigLoader.load(text: text, file: "broken.yaml")
        #expect(reports.count == 2)
        #expect(reports.first?.isValid == true)
        #expect(reports.last?.errors.first?.message.contains("invalid YAML") == true)
        #expect((reports.last?.errors.first?.line ?? 0) >= 6)
    }

    @Test("duplicate keys are refused")
    func duplicateKeys() {
        let reports = ConfigLoader.load(text: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, name: b}\n", file: "dup.yaml")
        #expect(reports.first?.errors.first?.message.contains("duplicate key") == true)
    }

    @Test("alias expansion is bounded (billion laughs)")
    func aliasBomb() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for level in 0..<8 {
            let name = "l\(level)"
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        let reports = ConfigLoader.load(text: text, file: "bomb.yaml")
        #expect(reports.count == 1)
        #expect(reports.first?.errors.first?.message.contains("expands to more than") == true)
    }

    @Test("errors point at the line of the field at fault")
    func errorLines() {
        let text = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews, subset: v1}
              weight: 90
            - destination: {host: reviews, subset: v2}
              weight: 20
        """
        let report = ConfigLoader.load(text: text, file: "vs.yaml")[0]
        #expect(report.errors.count == 1)
        #expect(report.errors.first?.path.description == "spec.http[0].route")
        #expect(report.errors.first?.line == 8)
        #expect(report.displayName == "VirtualService default/reviews")
        #expect(report.describe(report.errors[0]).hasPrefix("vs.yaml:8: VirtualService default/reviews (document 1): spec.http[0].route: "))
    }

    @Test("deprecated fields are warnings, not errors")
    func warnings() {
        let text = """
        apiVersion: networking.istio.io/v1alpha3
        kind: DestinationRule
        metadata: {name: r}
        spec:
          host: r
          trafficPolicy:
            outlierDetection: {consecutiveErrors: 5}
        """
        let report = ConfigLoader.load(text: text, file: "dr.yaml")[0]
        #expect(report.isValid)
        #expect(report.warnings.first?.message.contains("deprecated") == true)
    }

    @Test("IstioOperator with the production guide's fields; Kubernetes-only settings warn")
    func istioOperator() {
        let text = """
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        metadata: {name: prod, namespace: istio-system}
        spec:
          profile: default
          meshConfig:
            accessLogFile: /dev/stdout
            accessLogFormat: "[%START_TIME%] %REQ(:METHOD)%"
            enableTracing: true
            outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            defaultConfig:
              holdApplicationUntilProxyStarts: true
              tracing:
                sampling: 10
                zipkin: {address: zipkin.istio-system:9411}
          components:
            pilot:
              k8s:
                hpaSpec: {minReplicas: 2}
                resources: {requests: {cpu: 500m, memory: 2048Mi}}
            ingressGateways:
            - name: istio-ingressgateway
              enabled: true
            egressGateways:
            - name: istio-egressgateway
              enabled: false
          values:
            global:
              meshID: mesh1
              multiCluster: {clusterName: cluster1}
              network: network1
              proxy: {privileged: false}
            pilot: {autoscaleEnabled: true}
        """
        let report = ConfigLoader.load(text: text, file: "iop.yaml")[0]
        #expect(report.isValid, "\(report.errors)")
        let iop = report.resource as? IstioOperator
        #expect(iop?.spec?.values?.global?.multiCluster?.clusterName == "cluster1")
        #expect(iop?.spec?.meshConfig?.defaultConfig?.tracing?.zipkin?.address == "zipkin.istio-system:9411")
        #expect(iop?.spec?.components?.pilot?.k8s?.resources?.requests?["memory"]?.value == 2_147_483_648)
        #expect(report.warnings.contains { $0.path.description == "spec.components.pilot.k8s.hpaSpec" })
    }
}
