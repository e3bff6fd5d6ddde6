/// WeftProxy is the data plane: a sidecar beside each workload and the gateway routers. Bytes
/// move in NIO channel handlers (`Handlers/`); what to do with a request is decided by a short
/// list of named steps over the active configuration (`Steps/`); upstream connections are pooled
/// per endpoint (`Upstream/`); `Listeners/` only composes them.
public enum WeftProxyModule {}
