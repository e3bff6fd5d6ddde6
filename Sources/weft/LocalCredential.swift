import Foundation

/// Where this host keeps the control plane's administrator token, as kubectl keeps a kubeconfig:
/// `~/.weft/tokens/HOST_PORT` (mode 0600, one file per address the control plane serves), written
/// by `weft control-plane` for the user who started it. The CLI and `weft run` find it without
/// flags; `WEFT_TOKEN` (a token) or `--token-file` given instead is the only credential used.
enum LocalCredential {
    static var directory: URL {
        let home = ProcessInfo.processInfo.environment["WEFT_HOME"] ?? (NSHomeDirectory() + "/.weft")
        return URL(fileURLWithPath: home).appendingPathComponent("tokens")
    }

    /// The names a client may use for `host:port` (a wildcard listen address is reached on loopback).
    static func names(host: String, port: Int) -> [String] {
        let hosts = host == "0.0.0.0" || host == "::" || host == "127.0.0.1" ? ["127.0.0.1", "localhost"] : [host]
        return hosts.map { "\($0)_\(port)" }
    }

    /// Leaves `token` for each of the control plane's addresses, readable by this user alone.
    static func write(_ token: String, host: String, port: Int) {
        let directory = Self.directory
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in names(host: host, port: port) {
            let file = directory.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: file)
            _ = FileManager.default.createFile(atPath: file.path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    /// The credential for the control plane at `host:port`: `WEFT_TOKEN`, else the local file.
    static func token(host: String, port: Int) -> String? {
        if let token = ProcessInfo.processInfo.environment["WEFT_TOKEN"], !token.isEmpty { return token }
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("\(host)_\(port)")) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Leaves the mesh root beside the token (`HOST_PORT.ca.pem`) for a listener that serves TLS,
    /// and removes a stale one for a listener that does not: clients use TLS exactly when it is there.
    static func writeRoot(_ pem: String?, host: String, port: Int) {
        let directory = Self.directory
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in names(host: host, port: port) {
            let file = directory.appendingPathComponent(name + ".ca.pem")
            try? FileManager.default.removeItem(at: file)
            if let pem { _ = FileManager.default.createFile(atPath: file.path, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o644]) }
        }
    }

    /// The root to check the control plane at `host:port` with: the file `WEFT_CA_ROOT` names, else
    /// the one its control plane left on this host; nil when it serves plaintext.
    static func root(host: String, port: Int) -> String? {
        let path = ProcessInfo.processInfo.environment["WEFT_CA_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
            ?? directory.appendingPathComponent("\(host)_\(port).ca.pem").path
        return FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A token file given with `--token-file`: its contents, or an error naming it.
    static func read(file path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw CredentialFileUnreadable(path: path) }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `--token-file` names a file that cannot be read.
    struct CredentialFileUnreadable: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read the token file \(path)" }
    }
}
