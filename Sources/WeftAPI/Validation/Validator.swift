/// One problem found in a resource: an error makes it invalid, a warning does not.
public struct Issue: Sendable, Hashable, CustomStringConvertible {
    /// How bad a problem is.
    public enum Severity: String, Sendable, Hashable, Codable { case error, warning }
    public var severity: Severity
    public var path: FieldPath
    public var message: String
    /// The line in the source file, filled in by the loader; 0 when unknown.
    public var line: Int = 0

    public init(severity: Severity, path: FieldPath, message: String, line: Int = 0) {
        self.severity = severity
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String { "\(path): \(message)" }
}

/// Collects the problems of one resource while its validation rules run.
public struct Validator: Sendable {
    public internal(set) var issues: [Issue] = []
    /// The namespace of the resource under validation (`default` when unset).
    public var namespace: String = "default"

    public init(namespace: String = "default") {
        self.namespace = namespace
    }

    public var hasErrors: Bool { issues.contains { $0.severity == .error } }

    public mutating func error(_ path: FieldPath, _ message: String) {
        issues.append(Issue(severity: .error, path: path, message: message))
    }

    public mutating func warning(_ path: FieldPath, _ message: String) {
        issues.append(Issue(severity: .warning, path: path, message: message))
    }

    /// Reports `path` as required when `value` is nil or empty.
    public mutating func require<T>(_ value: T?, _ path: FieldPath, _ what: String? = nil) {
        if value == nil { error(path, "\(what ?? lastKey(path)) is required") }
    }

    public mutating func requireNonEmpty(_ value: String?, _ path: FieldPath) {
        if value?.isEmpty ?? true { error(path, "\(lastKey(path)) is required") }
    }

    private func lastKey(_ path: FieldPath) -> String {
        if case .key(let key) = path.components.last { return key }
        return path.description
    }

    /// Runs `body` on each element with its path, when the list is present.
    public mutating func each<T>(_ list: [T]?, _ path: FieldPath, _ body: (inout Validator, T, FieldPath) -> Void) {
        guard let list else { return }
        for (index, element) in list.enumerated() { body(&self, element, path / index) }
    }
}
