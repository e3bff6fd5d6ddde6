/// A path to a field inside a resource, printed the way Istio and kubectl print them:
/// `spec.http[0].route[1].weight`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// One step of a path: a mapping key or a sequence index.
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// Builds a path from a dotted string such as `spec.hosts[0]`; used by tests and messages.
    public init(parsing text: String) {
        var result: [Component] = []
        for part in text.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                if let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                    indices.insert(index, at: 0)
                }
                name = name[..<open]
            }
            if !name.isEmpty { result.append(.key(String(name))) }
            result.append(contentsOf: indices.map { .index($0) })
        }
        self.components = result
    }

    public static let root = FieldPath()

    public func appending(_ key: String) -> FieldPath {
        FieldPath(components + [.key(key)])
    }

    public func appending(_ index: Int) -> FieldPath {
        FieldPath(components + [.index(index)])
    }

    public static func / (lhs: FieldPath, rhs: String) -> FieldPath { lhs.appending(rhs) }
    public static func / (lhs: FieldPath, rhs: Int) -> FieldPath { lhs.appending(rhs) }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if key.isEmpty || !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                    text += "[\"\(key)\"]"
                } else {
                    if !text.isEmpty { text += "." }
                    text += key
                }
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text.isEmpty ? "(root)" : text
    }

    public static func < (lhs: FieldPath, rhs: FieldPath) -> Bool {
        lhs.description < rhs.description
    }

    /// The path of a Codable coding path, as the strict decoder reports it.
    init(codingPath: [any CodingKey]) {
        self.components = codingPath.map { key in
            if let indexKey = key as? IndexKey, let index = indexKey.intValue {
                return .index(index)
            }
            return .key(key.stringValue)
        }
    }
}

/// The coding key the strict decoder uses for sequence elements, so paths can tell an index
/// from a mapping key that happens to be numeric (`portLevelMtls."8080"`).
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(index: Int) { self.intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The coding key for mapping entries whose names are data, not schema (labels, headers).
struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { Int(stringValue) }
    init(_ name: String) { self.stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue) }
}
