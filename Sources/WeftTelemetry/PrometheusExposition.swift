/// Istio's standard HTTP metrics in Prometheus's text format (version 0.0.4): `# HELP` and
/// `# TYPE` once per family, label values escaped (backslash, quote, newline) so any value a peer
/// sent keeps the exposition valid, histograms cumulative with `+Inf`, `_sum` and `_count`.
public enum PrometheusExposition {
    /// `hiding`: `REPORTER:METRIC` pairs the Telemetry API disabled (`destination:istio_request_bytes`).
    public static func render(_ metrics: RequestMetrics, hiding: Set<String> = []) -> String {
        renderHTTP(metrics, hiding: hiding) + renderTCP(metrics, hiding: hiding)
    }

    /// `istio_tcp_*`: four counters per series.
    static func renderTCP(_ metrics: RequestMetrics, hiding: Set<String>) -> String {
        let series = metrics.tcpSeries.map { (labelText($0.key.tcpLabels), $0.key.reporter, $0.value) }.sorted { $0.0 < $1.0 }
        guard !series.isEmpty else { return "" }
        var out = ""
        let families: [(String, String, KeyPath<RequestMetrics.TCPSample, UInt64>)] = [
            ("istio_tcp_connections_opened_total", "TCP connections opened.", \.opened),
            ("istio_tcp_connections_closed_total", "TCP connections closed.", \.closed),
            ("istio_tcp_sent_bytes_total", "Bytes sent to the client on TCP connections.", \.sentBytes),
            ("istio_tcp_received_bytes_total", "Bytes received from the client on TCP connections.", \.receivedBytes),
        ]
        for (name, help, value) in families {
            let shown = series.filter { !hiding.contains("\($0.1.rawValue):\(name)") }
            guard !shown.isEmpty else { continue }
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, _, sample) in shown { out += "\(name){\(labels)} \(sample[keyPath: value])\n" }
        }
        return out
    }

    static func renderHTTP(_ metrics: RequestMetrics, hiding: Set<String>) -> String {
        let series = metrics.series.sorted { labelText($0.key.labels) < labelText($1.key.labels) }
        guard !series.isEmpty else { return "" }
        func shown(_ name: String) -> [(RequestSeries, RequestMetrics.Sample)] {
            hiding.isEmpty ? series.map { ($0.key, $0.value) } : series.filter { !hiding.contains("\($0.key.reporter.rawValue):\(name)") }.map { ($0.key, $0.value) }
        }
        var out = ""
        let counted = shown("istio_requests_total")
        if !counted.isEmpty {
            out += "# HELP istio_requests_total Requests handled by this proxy.\n# TYPE istio_requests_total counter\n"
            for (key, sample) in counted { out += "istio_requests_total{\(labelText(key.labels))} \(sample.count)\n" }
        }
        histogram(&out, "istio_request_duration_milliseconds", "Request duration, from the request's first byte to the response's last.",
                  shown("istio_request_duration_milliseconds").map { ($0.0, $0.1.duration) }, bounds: Histogram.durationBounds)
        histogram(&out, "istio_request_bytes", "HTTP request body sizes.", shown("istio_request_bytes").map { ($0.0, $0.1.requestBytes) }, bounds: Histogram.byteBounds)
        histogram(&out, "istio_response_bytes", "HTTP response body sizes.", shown("istio_response_bytes").map { ($0.0, $0.1.responseBytes) }, bounds: Histogram.byteBounds)
        return out
    }

    static func histogram(_ out: inout String, _ name: String, _ help: String, _ series: [(RequestSeries, Histogram)], bounds: [Double]) {
        guard !series.isEmpty else { return }
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (key, histogram) in series {
            let labels = labelText(key.labels)
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += histogram.buckets[index]
                out += "\(name)_bucket{\(labels),le=\"\(number(bound))\"} \(cumulative)\n"
            }
            out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
            out += "\(name)_sum{\(labels)} \(number(histogram.sum))\n"
            out += "\(name)_count{\(labels)} \(histogram.count)\n"
        }
    }

    /// `name="value",…` with values escaped.
    static func labelText(_ labels: [(String, String)]) -> String {
        labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
    }

    /// A label value as the text format requires: `\` `"` and newline escaped.
    public static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" || $0 == "\r\n" }) else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r\n": out += "\r\\n"  // the carriage return may stand; the line feed may not
            default: out.append(character)
            }
        }
        return out
    }

    /// Whole numbers without a fraction, others as Swift prints them (`0.5`, `12.25`).
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
