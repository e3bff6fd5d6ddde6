/// A parsed YAML or JSON document as a tree that remembers where each node came from.
///
/// The strict decoder reads resources out of this tree, and error messages use its marks to
/// point at the line of the field at fault.
public struct ConfigNode: Sendable, Hashable {
    /// A scalar with its YAML type already resolved (quoted scalars are always strings).
    public enum Scalar: Sendable, Hashable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
    }

    /// One key of a mapping, with the line the key is written on.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: ConfigNode
        public var line: Int
    }

    public indirect enum Value: Sendable, Hashable {
        case scalar(Scalar)
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    public var value: Value
    /// 1-based line in the source text; 0 when unknown.
    public var line: Int

    public init(_ value: Value, line: Int = 0) {
        self.value = value
        self.line = line
    }

    /// The entry for `key` when this node is a mapping.
    public subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries) = value else { return nil }
        return entries.first { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .scalar(.string(let text)) = value { return text }
        return nil
    }

    public var entries: [Entry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    public var elements: [ConfigNode]? {
        if case .sequence(let elements) = value { return elements }
        return nil
    }

    /// A short name of this node's type for error messages ("a string", "a mapping").
    public var typeDescription: String {
        switch value {
        case .scalar(.null): return "null"
        case .scalar(.bool(let flag)): return "boolean \(flag)"
        case .scalar(.int(let number)): return "integer \(number)"
        case .scalar(.double(let number)): return "number \(number)"
        case .scalar(.string(let text)): return "string \"\(text.prefix(40))\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The line of the deepest node that `path` reaches, for pointing at a field in an error.
    public func line(at path: FieldPath) -> Int {
        var node = self
        var best = line
        var entryLine = line
        for component in path.components {
            switch (component, node.value) {
            case (.key(let key), .mapping(let entries)):
                guard let entry = entries.first(where: { $0.key == key }) else { return entryLine }
                node = entry.value
                entryLine = entry.line
                best = entry.line
            case (.index(let index), .sequence(let elements)) where elements.indices.contains(index):
                node = elements[index]
                best = node.line
                entryLine = node.line
            default:
                return best
            }
        }
        return best
    }
}
