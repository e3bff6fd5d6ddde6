import Yams

/// Why a text could not be turned into documents.
public struct SyntaxError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

extension ConfigNode {
    /// The most nodes one document may expand to. Aliases share nodes in YAML, so a small text
    /// ("billion laughs") can expand without bound; past this it is rejected, not expanded.
    public static let maximumNodesPerDocument = 200_000

    /// Parses every document of a YAML (or JSON) stream, in order. Empty documents are skipped
    /// but keep their place in the numbering through `index`.
    public static func parseDocuments(_ text: String) throws(SyntaxError) -> [(index: Int, node: ConfigNode)] {
        var documents: [(Int, ConfigNode)] = []
        do {
            let parser = try Parser(yaml: text)
            var index = 0
            while let root = try parser.nextRoot() {
                var budget = maximumNodesPerDocument
                let node = try ConfigNode(yams: root, budget: &budget)
                if case .scalar(.null) = node.value {
                    // "---" followed by nothing, or only comments: not a document.
                } else {
                    documents.append((index, node))
                }
                index += 1
            }
        } catch let error as SyntaxError {
            throw error
        } catch let error as YamlError {
            throw SyntaxError(line: Self.line(of: error), message: Self.message(of: error))
        } catch {
            throw SyntaxError(line: 0, message: "\(error)")
        }
        return documents
    }

    init(yams node: Node, budget: inout Int) throws(SyntaxError) {
        budget -= 1
        let line = node.mark?.line ?? 0
        guard budget >= 0 else {
            throw SyntaxError(line: line, message: "document expands to more than \(Self.maximumNodesPerDocument) nodes (aliases?)")
        }
        switch node {
        case .scalar(let scalar):
            self.init(.scalar(Self.resolve(scalar, node: node)), line: line)
        case .sequence(let sequence):
            var elements: [ConfigNode] = []
            elements.reserveCapacity(sequence.count)
            for element in sequence {
                elements.append(try ConfigNode(yams: element, budget: &budget))
            }
            self.init(.sequence(elements), line: line)
        case .mapping(let mapping):
            var entries: [Entry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw SyntaxError(line: key.mark?.line ?? line, message: "a mapping key must be a scalar")
                }
                if keyScalar.string == "<<" {
                    throw SyntaxError(line: key.mark?.line ?? line, message: "YAML merge keys (<<) are not supported in resources")
                }
                entries.append(Entry(key: keyScalar.string, value: try ConfigNode(yams: value, budget: &budget), line: key.mark?.line ?? line))
            }
            self.init(.mapping(entries), line: line)
        case .alias:
            throw SyntaxError(line: line, message: "unresolved YAML alias")
        }
    }

    private static func resolve(_ scalar: Node.Scalar, node: Node) -> Scalar {
        if scalar.style != .plain && scalar.style != .any {
            return .string(scalar.string)
        }
        switch Resolver.default.resolveTag(of: node) {
        case .null:
            return .null
        case .bool:
            return node.bool.map(Scalar.bool) ?? .string(scalar.string)
        case .int:
            return node.int.map(Scalar.int) ?? .string(scalar.string)
        case .float:
            return node.float.map(Scalar.double) ?? .string(scalar.string)
        default:
            return .string(scalar.string)
        }
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default:
            return 0
        }
    }

    private static func message(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            if let context { return "\(problem) (\(context.text))" }
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key in mapping: \(duplicates.joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }
}
