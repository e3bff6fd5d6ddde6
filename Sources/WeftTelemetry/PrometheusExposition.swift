/// Istio's standard HTTP metrics in Prometheus's text format (version 0.0.4): `# HELP` and
/// `# TYPE` once per family, label values escaped (backslash, quote, newline) so any value a peer
/// sent keeps the exposition valid, histograms cumulative with `+Inf`, `_sum` and `_count`.
public enum PrometheusExposition {
    /// `hiding`: `REPORTER:METRIC` pairs the Telemetry API disabled (`destination:istio_request_bytes`);
    /// `overrides`: each reporter's tag overrides (series whose labels become equal are summed).
    public static func render(_ metrics: RequestMetrics, hiding: Set<String> = [], overrides: [RequestSeries.Reporter: TagOverrides] = [:]) -> String {
        renderHTTP(metrics, hiding: hiding, overrides: overrides) + renderTCP(metrics, hiding: hiding, overrides: overrides)
    }

    /// The rows of one family: each series' labels as `name` shows them (overrides applied), the
    /// values of series that end up with the same labels merged, sorted by labels.
    static func rows<Value>(_ series: [(RequestSeries, [(String, String)], Value)], name: String, hiding: Set<String>,
                            overrides: [RequestSeries.Reporter: TagOverrides], merge: (inout Value, Value) -> Void) -> [(String, Value)] {
        var merged: [String: Value] = [:]
        for (key, labels, value) in series where hiding.isEmpty || !hiding.contains("\(key.reporter.rawValue):\(name)") {
            let text = labelText(overrides[key.reporter].map { $0.apply(to: labels, of: key, metric: name) } ?? labels)
            if var existing = merged[text] {
                merge(&existing, value)
                merged[text] = existing
            } else {
                merged[text] = value
            }
        }
        return merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `istio_tcp_*`: four counters per series.
    static func renderTCP(_ metrics: RequestMetrics, hiding: Set<String>, overrides: [RequestSeries.Reporter: TagOverrides]) -> String {
        let series = metrics.tcpSeries.map { ($0.key, $0.key.tcpLabels, $0.value) }
        guard !series.isEmpty else { return "" }
        var out = ""
        let families: [(String, String, KeyPath<RequestMetrics.TCPSample, UInt64>)] = [
            ("istio_tcp_connections_opened_total", "TCP connections opened.", \.opened),
            ("istio_tcp_connections_closed_total", "TCP connections closed.", \.closed),
            ("istio_tcp_sent_bytes_total", "Bytes sent to the client on TCP connections.", \.sentBytes),
            ("istio_tcp_received_bytes_total", "Bytes received from the client on TCP connections.", \.receivedBytes),
        ]
        for (name, help, value) in families {
            let shown = rows(series.map { ($0.0, $0.1, $0.2[keyPath: value]) }, name: name, hiding: hiding, overrides: overrides) { $0 += $1 }
            guard !shown.isEmpty else { continue }
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, count) in shown { out += "\(name){\(labels)} \(count)\n" }
        }
        return out
    }

    static func renderHTTP(_ metrics: RequestMetrics, hiding: Set<String>, overrides: [RequestSeries.Reporter: TagOverrides]) -> String {
        let series = metrics.series.map { ($0.key, $0.key.labels, $0.value) }
        guard !series.isEmpty else { return "" }
        func shown<Value>(_ name: String, _ pick: (RequestMetrics.Sample) -> Value, merge: (inout Value, Value) -> Void) -> [(String, Value)] {
            rows(series.map { ($0.0, $0.1, pick($0.2)) }, name: name, hiding: hiding, overrides: overrides, merge: merge)
        }
        var out = ""
        let counted = shown("istio_requests_total", \.count) { $0 += $1 }
        if !counted.isEmpty {
            out += "# HELP istio_requests_total Requests handled by this proxy.\n# TYPE istio_requests_total counter\n"
            for (labels, count) in counted { out += "istio_requests_total{\(labels)} \(count)\n" }
        }
        for (name, help, pick, bounds) in [
            ("istio_request_duration_milliseconds", "Request duration, from the request's first byte to the response's last.", \RequestMetrics.Sample.duration, Histogram.durationBounds),
            ("istio_request_bytes", "HTTP request body sizes.", \RequestMetrics.Sample.requestBytes, Histogram.byteBounds),
            ("istio_response_bytes", "HTTP response body sizes.", \RequestMetrics.Sample.responseBytes, Histogram.byteBounds),
        ] {
            histogram(&out, name, help, shown(name, { $0[keyPath: pick] }) { $0.merge($1) }, bounds: bounds)
        }
        return out
    }

    static func histogram(_ out: inout String, _ name: String, _ help: String, _ series: [(String, Histogram)], bounds: [Double]) {
        guard !series.isEmpty else { return }
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (labels, histogram) in series {
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
