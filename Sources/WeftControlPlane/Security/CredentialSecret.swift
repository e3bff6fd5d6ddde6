import WeftAPI

/// A Secret read as a TLS credential, in the forms Istio reads: Kubernetes' `tls.crt`/`tls.key`/
/// `ca.crt`, or the generic `cert`/`key`/`cacert`; the CA also from a separate `NAME-cacert`.
/// The gateway translators and the gateway Secret analyzer read Secrets through this one place.
struct CredentialSecret {
    /// The certificate and key of the first pair the Secret holds whole (nil when it holds neither).
    var certificate: String?
    var key: String?
    var caCertificates: String?

    init(_ secret: Secret, caSecret: Secret? = nil) {
        let pair = [("tls.crt", "tls.key"), ("cert", "key")].first { Self.text(secret, $0.0) != nil && Self.text(secret, $0.1) != nil }
        certificate = pair.flatMap { Self.text(secret, $0.0) }
        key = pair.flatMap { Self.text(secret, $0.1) }
        caCertificates = Self.ca(secret) ?? caSecret.flatMap(Self.ca)
    }

    private static func ca(_ secret: Secret) -> String? { text(secret, "ca.crt") ?? text(secret, "cacert") }

    /// A Secret's key as text: `data` is base64, `stringData` as written.
    static func text(_ secret: Secret, _ key: String) -> String? {
        if let encoded = secret.data?[key] { return Base64.decode(encoded).map { String(decoding: $0, as: UTF8.self) } }
        return secret.stringData?[key]
    }
}
