import Testing
import WeftTelemetry

/// Istio's labels and the Prometheus text they become, one step at a time.
@Suite("Istio standard metrics: labels and exposition")
struct IstioMetricsTests {
    @Test("canonical service and revision as Istio derives them from pod labels")
    func canonicalNames() {
        let labelled = WorkloadMetadata(workload: "reviews-v2", namespace: "default", labels: ["app": "reviews", "version": "v2"])
        #expect(labelled.canonicalService == "reviews" && labelled.canonicalRevision == "v2" && labelled.app == "reviews" && labelled.version == "v2")
        let explicit = WorkloadMetadata(workload: "w", namespace: "ns", labels: ["app": "a", "service.istio.io/canonical-name": "shop", "service.istio.io/canonical-revision": "2024",
                                                                             "app.kubernetes.io/version": "9"])
        #expect(explicit.canonicalService == "shop" && explicit.canonicalRevision == "2024")
        let kubernetes = WorkloadMetadata(workload: "w", namespace: "ns", labels: ["app.kubernetes.io/name": "cart", "app.kubernetes.io/version": "1.2"])
        #expect(kubernetes.canonicalService == "cart" && kubernetes.canonicalRevision == "1.2" && kubernetes.app == "cart")
        let bare = WorkloadMetadata(workload: "sleep", namespace: "ns", labels: [:])
        #expect(bare.canonicalService == "sleep" && bare.canonicalRevision == "latest" && bare.app == "unknown" && bare.cluster == "Kubernetes")
    }

    @Test("the peer metadata header round-trips any value, and refuses what it did not make")
    func peerHeader() {
        let odd = WorkloadMetadata(workload: "a;b=c", namespace: "ns%x", app: "\"quoted\"\nline", version: "ü", canonicalService: "s", canonicalRevision: "r", cluster: "c")
        let encoded = PeerMetadataHeader.encode(odd)
        #expect(!encoded.contains("\n") && encoded.utf8.allSatisfy { $0 >= 0x21 && $0 < 0x7F })
        #expect(PeerMetadataHeader.decode(Substring(encoded)) == odd)
        #expect(PeerMetadataHeader.decode("garbage") == nil)
        #expect(PeerMetadataHeader.decode("w=%ZZ;n=x") == nil)
        #expect(PeerMetadataHeader.decode("a=1") == nil, "no workload and namespace")
    }

    @Test("histograms count in the first bucket that holds the value, cumulative in the exposition, +Inf, _sum and _count")
    func exposition() {
        var metrics = RequestMetrics()
        let series = RequestSeries(reporter: .destination, source: WorkloadMetadata(workload: "productpage-v1", namespace: "default", labels: ["app": "productpage", "version": "v1"]),
                                   sourcePrincipal: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
                                   destination: WorkloadMetadata(workload: "reviews-v1", namespace: "default", labels: ["app": "reviews", "version": "v1"]),
                                   destinationPrincipal: "spiffe://cluster.local/ns/default/sa/bookinfo-reviews", destinationService: "reviews.default.svc.cluster.local",
                                   destinationServiceName: "reviews", destinationServiceNamespace: "default", responseCode: 200, connectionSecurityPolicy: "mutual_tls")
        metrics.record(series, durationMilliseconds: 3, requestBytes: 0, responseBytes: 1024)
        metrics.record(series, durationMilliseconds: 7000, requestBytes: 10, responseBytes: 5)
        let text = PrometheusExposition.render(metrics)
        let labels = #"reporter="destination",source_workload="productpage-v1",source_canonical_service="productpage",source_canonical_revision="v1",source_workload_namespace="default",source_principal="spiffe://cluster.local/ns/default/sa/bookinfo-productpage",source_app="productpage",source_version="v1",source_cluster="Kubernetes",destination_workload="reviews-v1",destination_workload_namespace="default",destination_principal="spiffe://cluster.local/ns/default/sa/bookinfo-reviews",destination_app="reviews",destination_version="v1",destination_service="reviews.default.svc.cluster.local",destination_canonical_service="reviews",destination_canonical_revision="v1",destination_service_name="reviews",destination_service_namespace="default",destination_cluster="Kubernetes",request_protocol="http",response_code="200",grpc_response_status="",response_flags="-",connection_security_policy="mutual_tls""#
        #expect(text.contains("# TYPE istio_requests_total counter\nistio_requests_total{\(labels)} 2\n"), "\(text)")
        #expect(text.contains("istio_request_duration_milliseconds_bucket{\(labels),le=\"1\"} 0\n"))
        #expect(text.contains("istio_request_duration_milliseconds_bucket{\(labels),le=\"5\"} 1\n"))
        #expect(text.contains("istio_request_duration_milliseconds_bucket{\(labels),le=\"5000\"} 1\n"))
        #expect(text.contains("istio_request_duration_milliseconds_bucket{\(labels),le=\"10000\"} 2\n"))
        #expect(text.contains("istio_request_duration_milliseconds_bucket{\(labels),le=\"+Inf\"} 2\n"))
        #expect(text.contains("istio_request_duration_milliseconds_sum{\(labels)} 7003\n") && text.contains("istio_request_duration_milliseconds_count{\(labels)} 2\n"))
        #expect(text.contains("istio_response_bytes_bucket{\(labels),le=\"1000\"} 1\n") && text.contains("istio_response_bytes_bucket{\(labels),le=\"10000\"} 2\n"))
        #expect(text.contains("istio_request_bytes_bucket{\(labels),le=\"1\"} 1\n"), "an empty body is 0 bytes, in the first bucket")
        #expect(text.contains("# TYPE istio_request_bytes histogram") && text.contains("# TYPE istio_response_bytes histogram"))
    }

    @Test("TCP connections: four counters per series, labelled as a request's but without response code and gRPC status; a close keeps its flags; loops merge")
    func tcpExposition() {
        var metrics = RequestMetrics()
        var series = RequestSeries(reporter: .source, source: WorkloadMetadata(workload: "client", namespace: "default", labels: ["app": "client"]), sourcePrincipal: "spiffe://cluster.local/ns/default/sa/default",
                                   destination: WorkloadMetadata(workload: "redis", namespace: "default", labels: ["app": "redis"]), destinationPrincipal: "unknown",
                                   destinationService: "redis.default.svc.cluster.local", destinationServiceName: "redis", destinationServiceNamespace: "default",
                                   responseCode: 0, connectionSecurityPolicy: "unknown")
        series.requestProtocol = "tcp"
        let id = metrics.intern(series)
        metrics.recordTCP(id, opened: 1)
        metrics.recordTCP(id, receivedBytes: 10)
        metrics.recordTCP(id, sentBytes: 25)
        metrics.recordTCP(id, closed: 1)
        metrics.recordTCP(id, opened: 1)
        metrics.recordTCP(id, responseFlags: "UF", closed: 1)
        var merged = RequestMetrics()
        merged.merge(metrics)
        let text = PrometheusExposition.render(merged)
        #expect(!text.contains("response_code=") && !text.contains("grpc_response_status="), "\(text)")
        #expect(text.contains("# TYPE istio_tcp_connections_opened_total counter\n"))
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.contains { $0.hasPrefix("istio_tcp_connections_opened_total{") && $0.contains("response_flags=\"-\"") && $0.hasSuffix(" 2") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("istio_tcp_connections_closed_total{") && $0.contains("response_flags=\"UF\"") && $0.hasSuffix(" 1") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("istio_tcp_received_bytes_total{") && $0.contains("request_protocol=\"tcp\"") && $0.hasSuffix(" 10") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("istio_tcp_sent_bytes_total{") && $0.hasSuffix(" 25") }, "\(lines)")
        #expect(!PrometheusExposition.render(merged, hiding: ["source:istio_tcp_sent_bytes_total"]).contains("istio_tcp_sent_bytes_total"))
    }

    @Test("label values with quotes, backslashes and newlines are escaped; loops' metrics merge")
    func escapingAndMerge() {
        let hostile = WorkloadMetadata(workload: "a\"b\\c\nd", namespace: "n", labels: [:])
        let series = RequestSeries(reporter: .source, source: hostile, sourcePrincipal: "unknown", destination: .unknown, destinationPrincipal: "unknown",
                                   destinationService: "unknown", destinationServiceName: "unknown", destinationServiceNamespace: "unknown", responseCode: 503,
                                   responseFlags: "UH", connectionSecurityPolicy: "unknown")
        var first = RequestMetrics(), second = RequestMetrics()
        first.record(series, durationMilliseconds: 1, requestBytes: 1, responseBytes: 1)
        second.record(series, durationMilliseconds: 1, requestBytes: 1, responseBytes: 1)
        first.merge(second)
        let text = PrometheusExposition.render(first)
        #expect(text.contains(#"source_workload="a\"b\\c\nd""#), "\(text)")
        #expect(text.contains(#"response_flags="UH""#) && text.contains("} 2\n"))
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("d\"") }, "no raw newline inside a value")
    }
}
