import Foundation

/// A throwaway PKI made with `openssl` in a temporary directory: CAs (`NAME.pem`, `NAME.key`) and
/// leaves they sign with given subjectAltNames (`LEAF.pem`, `LEAF.key`). Removed by `remove()`.
struct TestCertificates {
    let directory: URL

    init(prefix: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A self-signed P-256 CA named `name` (subject CN `commonName`).
    func makeCA(_ name: String, commonName: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=\(commonName)",
                     "-keyout", path("\(name).key"), "-out", path("\(name).pem")])
    }

    /// A P-256 leaf `name` (subject CN `name`) signed by CA `ca`, with `subjectAltName` (`DNS:a,DNS:b`).
    func makeLeaf(_ name: String, subjectAltName: String, ca: String = "ca") throws {
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(name)", "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
        try "subjectAltName=\(subjectAltName)\n".write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"), "-CAcreateserial", "-days", "2",
                     "-extfile", path("\(name).ext"), "-out", path("\(name).pem")])
    }

    private func openssl(_ arguments: [String]) throws { _ = try WeftProcess.runTool("openssl", arguments) }
}
