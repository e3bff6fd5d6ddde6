/// WeftAPI reads Istio and Kubernetes resources exactly as users write them.
///
/// It owns three things: the `Codable` value types for every resource kind Weft accepts
/// (`networking.istio.io`, `security.istio.io`, `telemetry.istio.io`, `install.istio.io` and the
/// Kubernetes kinds that describe services and workloads); decoding of multi-document YAML and JSON
/// with the API server's strictness (unknown fields and wrong types are errors); and validation with
/// the rules of Istio's validation webhook. Every problem names the file, the document, the resource
/// and the field path. The module has no networking and no NIO.
public enum WeftAPIModule {}
