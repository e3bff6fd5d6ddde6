import WeftModel

/// Runs every translator over one ProxyView. The view is the cache key: equal views give equal
/// configurations, so a proxy whose view did not change is not pushed.
public enum ProxyConfigBuilder {
    public static func build(_ view: ProxyView, version: String) -> ProxyConfiguration {
        let routes: [RouteTable] = view.proxy.mode == .router ? RouteTranslator.gateway(view) : [RouteTranslator.outbound(view)]
        let clusters = ClusterTranslator.translate(view)
        let endpoints = EndpointTranslator.translate(view, clusters: clusters)
        return ProxyConfiguration(version: version, listeners: ListenerTranslator.translate(view), routeTables: routes, clusters: clusters, endpoints: endpoints)
    }
}
