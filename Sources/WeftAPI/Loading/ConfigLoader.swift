/// Reads YAML or JSON text into resource reports: one per document (or per `kind: List` item),
/// each decoded strictly and validated.
public enum ConfigLoader {
    /// Loads every document of `text`. Never throws: a syntax error becomes a report of its own.
    public static func load(text: String, file: String) -> [ResourceReport] {
        var reports: [ResourceReport] = []
        let documents: [(index: Int, node: ConfigNode)]
        do {
            documents = try ConfigNode.parseDocuments(text)
        } catch {
            // Documents before the broken one are still worth reporting on.
            let good = (try? ConfigNode.parseDocuments(prefix(of: text, before: error.line))) ?? []
            for document in good {
                reports.append(contentsOf: load(node: document.node, source: SourceLocation(file: file, document: document.index, line: document.node.line)))
            }
            let failed = SourceLocation(file: file, document: good.count, line: error.line)
            reports.append(ResourceReport(source: failed, issues: [Issue(severity: .error, path: .root, message: "invalid YAML: \(error.message)", line: error.line)]))
            return reports
        }
        for document in documents {
            reports.append(contentsOf: load(node: document.node, source: SourceLocation(file: file, document: document.index, line: document.node.line)))
        }
        return reports
    }

    /// Loads one parsed document; a `kind: List` expands to its items.
    public static func load(node: ConfigNode, source: SourceLocation) -> [ResourceReport] {
        if node["kind"]?.stringValue == "List" || node["kind"]?.stringValue?.hasSuffix("List") == true && node["items"] != nil {
            guard let items = node["items"]?.elements else {
                return [ResourceReport(source: source, kind: "List", issues: [Issue(severity: .error, path: FieldPath(parsing: "items"), message: "a List needs an items list", line: node.line)])]
            }
            return items.enumerated().map { index, item in
                var itemSource = source
                itemSource.item = index
                itemSource.line = item.line
                return decode(node: item, source: itemSource)
            }
        }
        return [decode(node: node, source: source)]
    }

    /// Decodes and validates one resource document.
    public static func decode(node: ConfigNode, source: SourceLocation) -> ResourceReport {
        var report = ResourceReport(source: source, issues: [])
        guard node.entries != nil else {
            report.issues.append(Issue(severity: .error, path: .root, message: "a resource must be a mapping with apiVersion and kind, got \(node.typeDescription)", line: node.line))
            return report
        }
        report.apiVersion = node["apiVersion"]?.stringValue
        report.kind = node["kind"]?.stringValue
        report.name = node["metadata"]?["name"]?.stringValue
        report.namespace = node["metadata"]?["namespace"]?.stringValue

        guard let apiVersion = report.apiVersion, !apiVersion.isEmpty else {
            report.issues.append(Issue(severity: .error, path: FieldPath(parsing: "apiVersion"), message: "apiVersion is required (this document is not a Kubernetes resource)", line: node.line))
            return report
        }
        guard let kind = report.kind, !kind.isEmpty else {
            report.issues.append(Issue(severity: .error, path: FieldPath(parsing: "kind"), message: "kind is required (this document is not a Kubernetes resource)", line: node.line))
            return report
        }
        let (group, version) = ResourceType.splitAPIVersion(apiVersion)
        guard let type = ResourceRegistry.type(group: group, kind: kind) else {
            let reason = ResourceRegistry.unsupportedReason(group: group, kind: kind)
                ?? "Weft reads \(ResourceRegistry.supportedKindNames.joined(separator: ", "))"
            report.issues.append(Issue(severity: .error, path: FieldPath(parsing: "kind"), message: "\(kind) (\(apiVersion)) is not supported by Weft: \(reason)", line: node.line(at: FieldPath(parsing: "kind"))))
            return report
        }
        let info = type.resourceType
        if report.namespace == nil, info.namespaced { report.namespace = "default" }
        guard info.versions.contains(version) else {
            report.issues.append(Issue(severity: .error, path: FieldPath(parsing: "apiVersion"), message: "\(kind) has no version \"\(version)\" in \(group.isEmpty ? "the core group" : group); use one of \(info.versions.map { group.isEmpty ? $0 : "\(group)/\($0)" }.joined(separator: ", "))", line: node.line(at: FieldPath(parsing: "apiVersion"))))
            return report
        }
        decodeTyped(type, node: node, into: &report)
        return report
    }

    private static func decodeTyped<T: APIResource>(_ type: T.Type, node: ConfigNode, into report: inout ResourceReport) {
        let resource: T
        let unknown: [FieldPath]
        do {
            (resource, unknown) = try StrictDecoder.decode(T.self, from: node)
        } catch {
            var issue = DecodeFailure.issue(from: error)
            issue.line = node.line(at: issue.path)
            report.issues.append(issue)
            return
        }
        for field in unknown {
            let name: String
            if case .key(let key)? = field.components.last { name = key } else { name = field.description }
            report.issues.append(Issue(severity: .error, path: field, message: "unknown field \"\(name)\"", line: node.line(at: field)))
        }
        var validator = Validator(namespace: resource.namespace)
        resource.validate(into: &validator)
        for var issue in validator.issues {
            issue.line = node.line(at: issue.path)
            report.issues.append(issue)
        }
        report.resource = resource
    }

    private static func prefix(of text: String, before line: Int) -> String {
        guard line > 1 else { return "" }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(line - 1)
        // Drop the partial document the error is in: keep whole documents only.
        while let last = lines.last, !last.hasPrefix("---") { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
