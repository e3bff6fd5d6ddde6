/// WeftHTTPServer is the small HTTP/1.1 server the control plane's config API and the proxy's
/// admin endpoint share: whole requests in, whole responses out, run as a lifecycle `Service`.
public enum WeftHTTPServerModule {}
