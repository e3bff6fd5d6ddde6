import WeftAPI

/// One finding: what kind of message, about which resource, and the text istioctl would print.
public struct AnalysisMessage: Sendable, Hashable {
    public var type: MessageType
    public var resource: ResourceRef
    public var text: String
    /// The line of the field at fault when known, else the resource's own line.
    public var line: Int

    public init(_ type: MessageType, _ resource: AnalyzedResource, _ text: String, line: Int? = nil) {
        self.type = type
        self.resource = resource.ref
        self.text = text
        self.line = line ?? resource.source?.line ?? 0
    }

    public init(_ type: MessageType, ref: ResourceRef, _ text: String, line: Int) {
        self.type = type
        self.resource = ref
        self.text = text
        self.line = line
    }

    /// istioctl's log line: `Error [IST0101] (VirtualService reviews.default file.yaml:12) text`.
    public var logLine: String {
        var origin = "\(resource.kind) \(resource.name)"
        if !resource.namespace.isEmpty { origin += ".\(resource.namespace)" }
        if let file = resource.file { origin += " \(file):\(line)" }
        return "\(type.level.rawValue) [\(type.code)] (\(origin)) \(text)"
    }
}

/// Which resource a message is about: kind, namespace as analyzed, name, and where it was read.
public struct ResourceRef: Sendable, Hashable {
    public var kind: String
    public var namespace: String
    public var name: String
    public var file: String?

    /// `Kind [namespace/]name`, the form Istio's analyzer tests compare.
    public var testKey: String {
        namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)"
    }
}
