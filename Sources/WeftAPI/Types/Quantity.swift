/// A Kubernetes resource quantity ("500m", "2048Mi", "1.5", "2Gi", "1e3"), kept as written and
/// parsed to a number so it can be compared.
public struct Quantity: Codable, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    /// The amount in base units (cores, bytes).
    public var value: Double

    private static let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]

    public init?(parsing text: String) {
        var number = Substring(text)
        var scale = 1.0
        for (suffix, factor) in Self.suffixes where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = factor
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let parsed = Double(number) else {
            return nil
        }
        self.text = text
        self.value = parsed * scale
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let number = try? container.decode(Int.self) { text = String(number) }
        else if let number = try? container.decode(Double.self) { text = String(number) }
        else { text = try container.decode(String.self) }
        guard let quantity = Quantity(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid quantity \"\(text)\" (expected a number with an optional suffix such as 500m, 128Mi, 2Gi)")
        }
        self = quantity
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public var description: String { text }
}
