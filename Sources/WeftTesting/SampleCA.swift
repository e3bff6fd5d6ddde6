import Foundation

/// Istio's sample plug-in CA (`samples/certs` in `../shared/istio-corpus`), as tests use it.
public enum SampleCA {
    /// Where the corpus keeps it, relative to the package root.
    public static func directory(packageRoot: URL) -> URL {
        packageRoot.appendingPathComponent("../shared/istio-corpus/samples/certs").standardizedFileURL
    }

    /// A `cacerts` directory (Istio's file names) holding the corpus's alt-2 pair, whose key does
    /// not match its certificate (the corpus README warns of it): a CA that must be refused.
    public static func mismatchedPlugInDirectory(from certs: URL) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-cacerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (source, target) in [("ca-cert-alt-2.pem", "ca-cert.pem"), ("ca-key-alt-2.pem", "ca-key.pem"), ("cert-chain-alt-2.pem", "cert-chain.pem"), ("root-cert-alt.pem", "root-cert.pem")] {
            try FileManager.default.copyItem(at: certs.appendingPathComponent(source), to: directory.appendingPathComponent(target))
        }
        return directory
    }
}
