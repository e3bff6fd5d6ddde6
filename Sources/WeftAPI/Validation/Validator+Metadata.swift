extension Validator {
    /// Name and namespace rules of Kubernetes (RFC 1123 labels and subdomains), label syntax.
    public mutating func validateMetadata(_ metadata: ObjectMeta, type: ResourceType) {
        let path = FieldPath([.key("metadata")])
        if let name = metadata.name, !name.isEmpty {
            if !Names.isDNS1123Subdomain(name) {
                error(path / "name", "invalid name \"\(name)\": must be lower-case letters, digits, '-' and '.', start and end with a letter or digit, at most 253 characters")
            }
        } else if metadata.generateName == nil {
            error(path / "name", "name is required")
        }
        if let namespace = metadata.namespace {
            if !type.namespaced {
                error(path / "namespace", "\(type.kind) is cluster-scoped and takes no namespace")
            } else if !Names.isDNS1123Label(namespace) {
                error(path / "namespace", "invalid namespace \"\(namespace)\": must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)")
            }
        }
        for (key, value) in (metadata.labels ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let problem = Names.labelKeyProblem(key) { error(path / "labels" / key, problem) }
            if let problem = Names.labelValueProblem(value) { error(path / "labels" / key, problem) }
        }
        for key in (metadata.annotations ?? [:]).keys.sorted() {
            if let problem = Names.labelKeyProblem(key) { error(path / "annotations" / key, problem) }
        }
    }

    /// Label maps in specs (selectors, subsets) follow the same key and value rules as metadata labels.
    public mutating func validateLabels(_ labels: [String: String]?, _ path: FieldPath) {
        for (key, value) in (labels ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let problem = Names.labelKeyProblem(key) { error(path / key, problem) }
            if let problem = Names.labelValueProblem(value) { error(path / key, problem) }
        }
    }
}
