/// WeftControlPlane is Istio's istiod for Weft: it ingests resources, builds immutable mesh
/// snapshots, translates them per proxy and serves the result. This first part holds `Analyze/`:
/// istioctl's configuration analyzers with their IST message codes, run over files or over the
/// control plane's own configuration.
public enum WeftControlPlaneModule {}
