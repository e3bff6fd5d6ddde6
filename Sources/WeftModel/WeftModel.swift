/// WeftModel is the mesh's own vocabulary, shared by the control plane and the proxy: the
/// service registry (services, workloads, endpoints), what one proxy is (`ProxyView`), the
/// per-proxy configuration the control plane computes (routes, clusters, endpoints, listeners),
/// and the pure decisions over it (which route a request takes). No NIO.
public enum WeftModelModule {}
