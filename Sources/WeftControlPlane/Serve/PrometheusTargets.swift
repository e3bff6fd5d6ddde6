/// Prometheus HTTP service discovery (`http_sd_configs`): one target group per connected proxy,
/// its metrics endpoint (`host:15020`, where Istio's proxies serve `/stats/prometheus`) with the
/// labels Istio's scrape configuration gives pods: `namespace`, `pod`, `app`, `version`.
enum PrometheusTargets {
    /// Istio's metrics port on every proxy.
    static let metricsPort = 15020

    static func groups(_ proxies: [ProxyHub.Status]) -> [[String: Any]] {
        proxies.compactMap { proxy in
            let host = metricsHost(proxy)
            guard !host.isEmpty else { return nil }
            var labels: [String: String] = ["namespace": proxy.namespace, "pod": podName(proxy), "__metrics_path__": "/stats/prometheus", "weft_proxy_mode": proxy.mode]
            if let app = proxy.labels["app"] ?? proxy.labels["app.kubernetes.io/name"] { labels["app"] = app }
            if let version = proxy.labels["version"] ?? proxy.labels["app.kubernetes.io/version"] { labels["version"] = version }
            let target = host.contains(":") ? "[\(host)]:\(metricsPort)" : "\(host):\(metricsPort)"
            return ["targets": [target], "labels": labels]
        }
    }

    /// The admin API's host (a router's may differ from its listeners'), else the pod IP.
    static func metricsHost(_ proxy: ProxyHub.Status) -> String {
        var admin = Substring(proxy.adminAddress)
        if admin.hasPrefix("["), let end = admin.firstIndex(of: "]") { return String(admin[admin.index(after: admin.startIndex)..<end]) }
        if let colon = admin.lastIndex(of: ":") { admin = admin[..<colon] }
        return admin.isEmpty ? proxy.podIP : String(admin)
    }

    /// The proxy id without its `.namespace` suffix: the pod's name.
    static func podName(_ proxy: ProxyHub.Status) -> String {
        let suffix = ".\(proxy.namespace)"
        return proxy.id.hasSuffix(suffix) ? String(proxy.id.dropLast(suffix.count)) : proxy.id
    }
}
