/// An Istio or Kubernetes enum written as its name (`ROUND_ROBIN`). Decoding an unknown name
/// fails with the list of accepted ones, which is what a user needs to fix the typo.
public protocol APIEnum: RawRepresentable, Codable, Sendable, Hashable, CaseIterable where RawValue == String {}

extension APIEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Self(rawValue: name) else {
            let accepted = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown value \"\(name)\"; expected one of \(accepted)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
