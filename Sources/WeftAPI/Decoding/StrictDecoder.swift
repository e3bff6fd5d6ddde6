/// Decodes `Decodable` values out of a `ConfigNode` tree with the API server's strictness:
/// a scalar of the wrong type is an error, and so is any mapping key the target type never asked
/// for (`unknownFields` after decoding). Coding paths use `IndexKey` for list elements so the
/// errors can print `spec.http[0].route`.
struct StrictDecoder: Decoder {
    let node: ConfigNode
    let codingPath: [any CodingKey]
    let usage: KeyUsage
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: ConfigNode, codingPath: [any CodingKey] = [], usage: KeyUsage) {
        self.node = node
        self.codingPath = codingPath
        self.usage = usage
    }

    /// Decodes `type` from `node` and returns it with the keys that no type consumed.
    static func decode<T: Decodable>(_ type: T.Type, from node: ConfigNode, at codingPath: [any CodingKey] = []) throws -> (T, [FieldPath]) {
        let usage = KeyUsage()
        let value = try T(from: StrictDecoder(node: node, codingPath: codingPath, usage: usage))
        return (value, usage.unknownFields())
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let entries) = node.value else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected a mapping, got \(node.typeDescription)"))
        }
        let path = FieldPath(codingPath: codingPath)
        usage.register(path: path, keys: entries.map(\.key))
        return KeyedDecodingContainer(StrictKeyedContainer<Key>(entries: entries, decoder: self, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let elements) = node.value else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected a list, got \(node.typeDescription)"))
        }
        return StrictUnkeyedContainer(elements: elements, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        StrictSingleValueContainer(decoder: self)
    }

    func child(_ node: ConfigNode, key: any CodingKey) -> StrictDecoder {
        StrictDecoder(node: node, codingPath: codingPath + [key], usage: usage)
    }
}

/// Records, for every mapping the decoder opened, which of its keys a type consumed.
/// Used by one synchronous decode only.
final class KeyUsage {
    private var present: [FieldPath: [String]] = [:]
    private var consumed: [FieldPath: Set<String>] = [:]

    func register(path: FieldPath, keys: [String]) {
        if present[path] == nil { present[path] = keys }
    }

    func consume(path: FieldPath, key: String) {
        consumed[path, default: []].insert(key)
    }

    func unknownFields() -> [FieldPath] {
        var unknown: [FieldPath] = []
        for (path, keys) in present {
            let used = consumed[path] ?? []
            for key in keys where !used.contains(key) {
                unknown.append(path.appending(key))
            }
        }
        return unknown.sorted()
    }
}

private struct StrictKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [ConfigNode.Entry]
    let decoder: StrictDecoder
    let path: FieldPath

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

    private func entry(_ key: Key) -> ConfigNode? {
        decoder.usage.consume(path: path, key: key.stringValue)
        return entries.first { $0.key == key.stringValue }?.value
    }

    private func required(_ key: Key) throws -> ConfigNode {
        guard let node = entry(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required field \"\(key.stringValue)\" is missing"))
        }
        return node
    }

    func contains(_ key: Key) -> Bool { entry(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = entry(key) else { return true }
        if case .scalar(.null) = node.value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: decoder.child(try required(key), key: key))
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type, at: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type, at: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type, at: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type, at: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type, at: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, at: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, at: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type, at: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type, at: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type, at: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, at: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, at: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, at: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, at: key) }

    private func decode<T: Decodable>(_ type: T.Type, at key: Key) throws -> T {
        try StrictSingleValueContainer(decoder: decoder.child(try required(key), key: key)).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(try required(key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(try required(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.child(try required(key), key: key)
    }
}

private struct StrictUnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [ConfigNode]
    let decoder: StrictDecoder
    var currentIndex = 0

    init(elements: [ConfigNode], decoder: StrictDecoder) {
        self.elements = elements
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> StrictDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "list ended early"))
        }
        defer { currentIndex += 1 }
        return decoder.child(elements[currentIndex], key: IndexKey(index: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if case .scalar(.null) = elements[currentIndex].value {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let child = try next()
        if isPrimitive(type) {
            return try StrictSingleValueContainer(decoder: child).decode(type)
        }
        return try T(from: child)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }

    private func isPrimitive<T>(_ type: T.Type) -> Bool {
        type == String.self || type == Int.self || type == Bool.self || type == Double.self
            || type == Int32.self || type == UInt32.self || type == Int64.self || type == UInt64.self
    }
}

private struct StrictSingleValueContainer: SingleValueDecodingContainer {
    let decoder: StrictDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    private var node: ConfigNode { decoder.node }

    init(decoder: StrictDecoder) { self.decoder = decoder }

    func decodeNil() -> Bool {
        if case .scalar(.null) = node.value { return true }
        return false
    }

    private func mismatch<T>(_ type: T.Type, _ expected: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(expected), got \(node.typeDescription)"))
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .scalar(.bool(let flag)) = node.value else { throw mismatch(type, "a boolean") }
        return flag
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .scalar(.string(let text)) = node.value else { throw mismatch(type, "a string") }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch node.value {
        case .scalar(.double(let number)): return number
        case .scalar(.int(let number)): return Double(number)
        default: throw mismatch(type, "a number")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let value: Int
        switch node.value {
        case .scalar(.int(let number)): value = number
        case .scalar(.double(let number)) where number == number.rounded() && abs(number) < 9.0e15: value = Int(number)
        default: throw mismatch(type, "an integer")
        }
        guard let result = T(exactly: value) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "integer \(value) is out of range for \(T.self)"))
        }
        return result
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decode(String.self) as! T
        case is Bool.Type: return try decode(Bool.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        case is Int32.Type: return try decode(Int32.self) as! T
        case is UInt32.Type: return try decode(UInt32.self) as! T
        case is Int64.Type: return try decode(Int64.self) as! T
        case is UInt64.Type: return try decode(UInt64.self) as! T
        default: return try T(from: decoder)
        }
    }
}
