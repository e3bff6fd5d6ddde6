/// Where a resource came from: file, document (0-based) and line; an item index inside a `kind: List`.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var document: Int
    public var line: Int
    public var item: Int?

    public init(file: String, document: Int, line: Int, item: Int? = nil) {
        self.file = file
        self.document = document
        self.line = line
        self.item = item
    }

    public var description: String {
        var text = "\(file):\(line) (document \(document + 1)"
        if let item { text += ", item \(item)" }
        return text + ")"
    }
}

/// The outcome of reading one document: the resource when it is valid, and every problem found.
public struct ResourceReport: Sendable {
    public var source: SourceLocation
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    /// The decoded resource; nil when decoding failed. Present (for tools) even when validation found errors.
    public var resource: (any APIResource)?
    public var issues: [Issue]

    public var errors: [Issue] { issues.filter { $0.severity == .error } }
    public var warnings: [Issue] { issues.filter { $0.severity == .warning } }
    public var isValid: Bool { resource != nil && errors.isEmpty }

    /// `Kind namespace/name`, with placeholders where the document did not say.
    public var displayName: String {
        let kindText = kind ?? "(no kind)"
        let nameText = name ?? "(no name)"
        if let namespace { return "\(kindText) \(namespace)/\(nameText)" }
        return "\(kindText) \(nameText)"
    }

    /// One line per issue in the form `file:line: Kind ns/name: path: reason`.
    public func describe(_ issue: Issue) -> String {
        let line = issue.line > 0 ? issue.line : source.line
        return "\(source.file):\(line): \(displayName) (document \(source.document + 1)): \(issue.path): \(issue.message)"
    }
}
