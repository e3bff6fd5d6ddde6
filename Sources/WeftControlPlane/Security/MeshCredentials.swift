import Crypto
import Foundation
import Logging

/// Who may do what with the control plane: bearer tokens it issues and checks itself (HMAC-SHA256
/// with a key kept beside the CA). The administrator's token (the one the control plane's own
/// user finds on its host, as `kubectl` finds a kubeconfig) may write config, read Secrets, issue
/// tokens and take a certificate for any identity; a workload token (`weft token create`) may
/// take a certificate for its one namespace and service account, nothing else.
public struct MeshCredentials: Sendable {
    /// Whom a token speaks for.
    public enum Holder: Sendable, Hashable {
        case administrator
        case workload(namespace: String, serviceAccount: String)
    }

    /// Why a token is not accepted.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case missing
        case malformed
        case badSignature
        case expired

        public var description: String {
            switch self {
            case .missing: return "no credential (give Authorization: Bearer TOKEN)"
            case .malformed: return "the credential is not a Weft token"
            case .badSignature: return "the credential was not issued by this control plane"
            case .expired: return "the credential has expired"
            }
        }
    }

    private let key: SymmetricKey
    private static let prefix = "weft1."

    public init(key: SymmetricKey) { self.key = key }

    /// The key in `<data-dir>/ca/token-key` (made on first start, mode 0600), or a fresh one when
    /// the control plane keeps nothing on disk.
    public static func load(dataDirectory: URL?, logger: Logger) throws -> MeshCredentials {
        guard let dataDirectory else { return MeshCredentials(key: SymmetricKey(size: .bits256)) }
        let directory = dataDirectory.appendingPathComponent("ca")
        let file = directory.appendingPathComponent("token-key")
        if let data = try? Data(contentsOf: file), data.count == 32 { return MeshCredentials(key: SymmetricKey(data: data)) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: file.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        logger.info("made the token signing key", metadata: ["file": "\(file.path)"])
        return MeshCredentials(key: key)
    }

    /// A token for `holder`, valid for `ttl` (forever when nil).
    public func issue(_ holder: Holder, ttl: Duration? = nil, now: Date = Date()) -> String {
        var claims: [String: Any] = [:]
        switch holder {
        case .administrator: claims["k"] = "admin"
        case .workload(let namespace, let serviceAccount): claims = ["k": "workload", "ns": namespace, "sa": serviceAccount]
        }
        if let ttl { claims["exp"] = Int(now.timeIntervalSince1970) + Int(ttl.components.seconds) }
        let payload = Self.base64URL((try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data())
        return Self.prefix + payload + "." + Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)))
    }

    /// The holder of a token, when this control plane issued it and it has not expired.
    public func verify(_ token: String?, now: Date = Date()) -> Result<Holder, Refusal> {
        guard let token, !token.isEmpty else { return .failure(.missing) }
        guard token.hasPrefix(Self.prefix) else { return .failure(.malformed) }
        let parts = token.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let signature = Self.data(base64URL: String(parts[1])), let json = Self.data(base64URL: String(parts[0])) else { return .failure(.malformed) }
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data(parts[0].utf8), using: key) else { return .failure(.badSignature) }
        guard let claims = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return .failure(.malformed) }
        if let expiry = claims["exp"] as? Int, Double(expiry) <= now.timeIntervalSince1970 { return .failure(.expired) }
        switch claims["k"] as? String {
        case "admin": return .success(.administrator)
        case "workload":
            guard let namespace = claims["ns"] as? String, let account = claims["sa"] as? String else { return .failure(.malformed) }
            return .success(.workload(namespace: namespace, serviceAccount: account))
        default: return .failure(.malformed)
        }
    }

    /// The token of an `Authorization: Bearer TOKEN` header value.
    public static func bearer(_ header: String?) -> String? {
        guard let header, header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// Whether `holder` may hold the identity of `serviceAccount` in `namespace`.
    public static func allows(_ holder: Holder, namespace: String, serviceAccount: String) -> Bool {
        switch holder {
        case .administrator: return true
        case .workload(let ownNamespace, let ownAccount): return ownNamespace == namespace && ownAccount == serviceAccount
        }
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
