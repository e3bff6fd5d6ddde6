/// The header a sidecar adds to what it sends (requests outbound, responses inbound) so the
/// proxy on the other side can label its metrics with this workload, as Istio's metadata
/// exchange does with `x-envoy-peer-metadata`. Weft's own name and a plain encoding (Envoy's is
/// a protobuf Struct): `k=v;k=v` with `%`, `;`, `=` and controls percent-encoded. The peer's
/// header is removed before the request reaches the app (or the response the caller).
public enum PeerMetadataHeader {
    /// The name as static bytes, for lookups that read no String.
    public static let wireName: StaticString = "x-weft-peer-metadata"
    public static let name = wireName.description

    private static let keys = ["w", "n", "a", "v", "cs", "cr", "c"]

    /// The header value for `metadata`.
    public static func encode(_ metadata: WorkloadMetadata) -> String {
        let values = [metadata.workload, metadata.namespace, metadata.app, metadata.version, metadata.canonicalService, metadata.canonicalRevision, metadata.cluster]
        return zip(keys, values).map { "\($0)=\(escape($1))" }.joined(separator: ";")
    }

    /// The metadata a peer sent; nil when the value is not one this encoder made.
    public static func decode(_ value: Substring) -> WorkloadMetadata? {
        var fields: [String: String] = [:]
        for pair in value.split(separator: ";") {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            guard let decoded = unescape(pair[pair.index(after: equals)...]) else { return nil }
            fields[String(pair[..<equals])] = decoded
        }
        guard let workload = fields["w"], let namespace = fields["n"] else { return nil }
        let unknown = WorkloadMetadata.unknownValue
        return WorkloadMetadata(workload: workload, namespace: namespace, app: fields["a"] ?? unknown, version: fields["v"] ?? unknown,
                                canonicalService: fields["cs"] ?? workload, canonicalRevision: fields["cr"] ?? "latest", cluster: fields["c"] ?? unknown)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte < 0x21 || byte >= 0x7F || byte == UInt8(ascii: "%") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "=") {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high < utf8.endIndex, utf8.index(after: high) < utf8.endIndex,
                      let value = UInt8(String(decoding: utf8[high...utf8.index(after: high)], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                index = utf8.index(high, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
