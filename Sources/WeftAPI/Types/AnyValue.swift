/// A free-form value (`google.protobuf.Struct`, Helm `values`, Kubernetes fields Weft does not
/// interpret). It keeps every key, so nothing a user wrote is lost or reported as unknown.
public indirect enum AnyValue: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([AnyValue])
    case object([String: AnyValue])

    public init(from decoder: any Decoder) throws {
        if let strict = decoder as? StrictDecoder {
            self = try AnyValue(strict: strict)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Int.self) { self = .int(number) }
        else if let number = try? container.decode(Double.self) { self = .double(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let list = try? container.decode([AnyValue].self) { self = .list(list) }
        else { self = .object(try container.decode([String: AnyValue].self)) }
    }

    private init(strict decoder: StrictDecoder) throws {
        switch decoder.node.value {
        case .scalar(.null): self = .null
        case .scalar(.bool(let flag)): self = .bool(flag)
        case .scalar(.int(let number)): self = .int(number)
        case .scalar(.double(let number)): self = .double(number)
        case .scalar(.string(let text)): self = .string(text)
        case .sequence:
            var container = try decoder.unkeyedContainer()
            var list: [AnyValue] = []
            while !container.isAtEnd { list.append(try container.decode(AnyValue.self)) }
            self = .list(list)
        case .mapping:
            let container = try decoder.container(keyedBy: NameKey.self)
            var object: [String: AnyValue] = [:]
            for key in container.allKeys { object[key.stringValue] = try container.decode(AnyValue.self, forKey: key) }
            self = .object(object)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .int(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .list(let list): try container.encode(list)
        case .object(let object): try container.encode(object)
        }
    }

    /// The value under `key` when this is an object.
    public subscript(key: String) -> AnyValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
