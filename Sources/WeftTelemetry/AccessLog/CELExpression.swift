/// The part of CEL (the Common Expression Language) Istio's Telemetry API uses over Envoy's
/// request attributes: `response.code >= 400`, `request.headers['x-debug'] == 'on'`,
/// `xds.cluster_name == 'BlackHoleCluster' || request.url_path.startsWith('/api')`. Literals
/// (integers, strings, booleans, null), attributes, `==` `!=` `<` `<=` `>` `>=`, `&&` `||` `!`,
/// `in` on a map or a list literal, parentheses, the string methods `startsWith`, `endsWith`,
/// `contains`, `size()`, and the macros `size(x)` and `has(request.headers.NAME)`. Parsed once per configuration; an expression outside the subset is refused then.
public struct CELExpression: Sendable, Hashable {
    /// A value an expression yields.
    public enum Value: Sendable, Hashable {
        case int(Int)
        case string(String)
        case bool(Bool)
        case null
        /// A header map: looked up by lower-cased key.
        case headers(Headers)

        /// Which header map an attribute names.
        public enum Headers: Sendable, Hashable { case request, response }
    }

    indirect enum Node: Sendable, Hashable {
        case literal(Value)
        case attribute(String)
        case index(Node, Node)
        case not(Node)
        case negate(Node)
        case binary(String, Node, Node)
        case call(Node, String, [Node])
        case list([Node])
        case has(Node)
    }

    /// Why an expression was refused.
    public struct Unsupported: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    let root: Node
    public let text: String

    /// Attributes Envoy defines that Weft knows.
    static let attributes: Set<String> = [
        "request.path", "request.url_path", "request.host", "request.scheme", "request.method", "request.headers", "request.referer",
        "request.useragent", "request.id", "request.protocol", "request.size", "request.total_size",
        "response.code", "response.code_details", "response.flags", "response.headers", "response.size", "response.grpc_status",
        "source.address", "source.port", "destination.address", "destination.port", "upstream.address", "upstream.port",
        "xds.cluster_name", "xds.route_name", "connection.mtls", "connection.requested_server_name",
    ]

    public init(_ text: String) throws(Unsupported) {
        self.text = text
        var parser = Parser(tokens: try Self.tokenize(text))
        root = try parser.expression()
        guard parser.atEnd else { throw Unsupported("unexpected \(parser.peek.map { "\($0)" } ?? "end") in \(text)") }
    }

    /// Evaluates against `lookup`, which answers attributes and header lookups.
    public func evaluate(_ lookup: (String) -> Value, header: (Value.Headers, String) -> String?) -> Value {
        Self.evaluate(root, lookup, header)
    }

    static func evaluate(_ node: Node, _ lookup: (String) -> Value, _ header: (Value.Headers, String) -> String?) -> Value {
        switch node {
        case .literal(let value): return value
        case .attribute(let name): return lookup(name)
        case .index(let base, let key):
            guard case .headers(let map) = evaluate(base, lookup, header), case .string(let name) = evaluate(key, lookup, header) else { return .null }
            return header(map, name.lowercased()).map(Value.string) ?? .null
        case .not(let inner):
            guard case .bool(let value) = evaluate(inner, lookup, header) else { return .null }
            return .bool(!value)
        case .negate(let inner):
            guard case .int(let value) = evaluate(inner, lookup, header) else { return .null }
            return .int(-value)
        case .binary("&&", let left, let right):
            guard case .bool(true) = evaluate(left, lookup, header) else { return .bool(false) }
            return evaluate(right, lookup, header) == .bool(true) ? .bool(true) : .bool(false)
        case .binary("||", let left, let right):
            if case .bool(true) = evaluate(left, lookup, header) { return .bool(true) }
            return evaluate(right, lookup, header) == .bool(true) ? .bool(true) : .bool(false)
        case .binary("in", let left, .list(let items)):
            let value = evaluate(left, lookup, header)
            return .bool(items.contains { evaluate($0, lookup, header) == value })
        case .binary("in", let left, let right):
            guard case .string(let key) = evaluate(left, lookup, header), case .headers(let map) = evaluate(right, lookup, header) else { return .bool(false) }
            return .bool(header(map, key.lowercased()) != nil)
        case .list:
            return .null
        case .has(let inner):
            return .bool(evaluate(inner, lookup, header) != .null)
        case .binary(let op, let left, let right):
            let (a, b) = (evaluate(left, lookup, header), evaluate(right, lookup, header))
            switch op {
            case "==": return .bool(a == b)
            case "!=": return .bool(a != b)
            default:
                let order: Bool?
                switch (a, b) {
                case (.int(let x), .int(let y)): order = compare(op, x, y)
                case (.string(let x), .string(let y)): order = compare(op, x, y)
                default: order = nil
                }
                return order.map(Value.bool) ?? .null
            }
        case .call(let target, let method, let arguments):
            let value = evaluate(target, lookup, header)
            let argument = arguments.first.map { evaluate($0, lookup, header) }
            switch (method, value, argument) {
            case ("startsWith", .string(let s), .string(let p)?): return .bool(s.hasPrefix(p))
            case ("endsWith", .string(let s), .string(let p)?): return .bool(s.hasSuffix(p))
            case ("contains", .string(let s), .string(let p)?): return .bool(s.contains(p))
            case ("size", .string(let s), nil): return .int(s.count)
            default: return .null
            }
        }
    }

    static func compare<T: Comparable>(_ op: String, _ x: T, _ y: T) -> Bool? {
        switch op {
        case "<": return x < y
        case "<=": return x <= y
        case ">": return x > y
        case ">=": return x >= y
        default: return nil
        }
    }

    enum Token: Hashable, CustomStringConvertible {
        case identifier(String)
        case int(Int)
        case string(String)
        case symbol(String)

        var description: String {
            switch self {
            case .identifier(let name): return name
            case .int(let value): return String(value)
            case .string(let value): return "'\(value)'"
            case .symbol(let symbol): return symbol
            }
        }
    }

    static func tokenize(_ text: String) throws(Unsupported) -> [Token] {
        var tokens: [Token] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            if c == " " || c == "\t" || c == "\n" { index += 1; continue }
            if ("0"..."9").contains(c) {
                var digits = ""
                while index < scalars.count, ("0"..."9").contains(scalars[index]) { digits.unicodeScalars.append(scalars[index]); index += 1 }
                if index < scalars.count, scalars[index] == "u" { index += 1 }
                guard let value = Int(digits) else { throw Unsupported("number \(digits) is too large") }
                tokens.append(.int(value))
            } else if c == "'" || c == "\"" {
                index += 1
                var value = ""
                while index < scalars.count, scalars[index] != c {
                    if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                    value.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard index < scalars.count else { throw Unsupported("unterminated string in \(text)") }
                index += 1
                tokens.append(.string(value))
            } else if c.properties.isAlphabetic || c == "_" {
                var name = ""
                while index < scalars.count, scalars[index].properties.isAlphabetic || scalars[index] == "_" || ("0"..."9").contains(scalars[index]) {
                    name.unicodeScalars.append(scalars[index])
                    index += 1
                }
                tokens.append(.identifier(name))
            } else {
                let two = index + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[index + 1]])) : ""
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                    tokens.append(.symbol(two))
                    index += 2
                } else if "<>!().[],-".unicodeScalars.contains(c) {
                    tokens.append(.symbol(String(c)))
                    index += 1
                } else {
                    throw Unsupported("unexpected character \(c) in \(text)")
                }
            }
        }
        return tokens
    }

    /// Precedence climbing: `||` < `&&` < comparisons and `in` < unary < member, index and call.
    struct Parser {
        var tokens: [Token]
        var position = 0

        var atEnd: Bool { position >= tokens.count }
        var peek: Token? { atEnd ? nil : tokens[position] }

        mutating func take(_ symbol: String) -> Bool {
            guard peek == .symbol(symbol) || peek == .identifier(symbol) else { return false }
            position += 1
            return true
        }

        mutating func expect(_ symbol: String) throws(Unsupported) {
            guard take(symbol) else { throw Unsupported("expected \(symbol), found \(peek.map { "\($0)" } ?? "the end")") }
        }

        mutating func expression() throws(Unsupported) -> Node {
            var left = try conjunction()
            while take("||") { left = .binary("||", left, try conjunction()) }
            return left
        }

        mutating func conjunction() throws(Unsupported) -> Node {
            var left = try comparison()
            while take("&&") { left = .binary("&&", left, try comparison()) }
            return left
        }

        mutating func comparison() throws(Unsupported) -> Node {
            let left = try unary()
            for op in ["==", "!=", "<=", ">=", "<", ">", "in"] where take(op) {
                return .binary(op, left, try unary())
            }
            return left
        }

        mutating func unary() throws(Unsupported) -> Node {
            if take("!") { return .not(try unary()) }
            if take("-") { return .negate(try unary()) }
            return try postfix()
        }

        mutating func postfix() throws(Unsupported) -> Node {
            var node = try primary()
            while true {
                if take("[") {
                    let key = try expression()
                    try expect("]")
                    node = .index(node, key)
                } else if peek == .symbol("."), position + 1 < tokens.count, case .identifier(let member) = tokens[position + 1] {
                    position += 2
                    if take("(") {
                        var arguments: [Node] = []
                        if !take(")") {
                            repeat { arguments.append(try expression()) } while take(",")
                            try expect(")")
                        }
                        guard ["startsWith", "endsWith", "contains", "size"].contains(member) else { throw Unsupported("function \(member)() is not supported") }
                        node = .call(node, member, arguments)
                    } else if case .attribute(let base) = node, base == "request.headers" || base == "response.headers" {
                        // `request.headers.x_debug` selects a header, as `['x_debug']` does.
                        node = .index(node, .literal(.string(member)))
                    } else if case .attribute(let base) = node {
                        node = .attribute(base + "." + member)
                    } else if case .index = node {
                        throw Unsupported("a field of an indexed value is not supported")
                    } else {
                        throw Unsupported("a field of a literal is not supported")
                    }
                } else {
                    break
                }
            }
            if case .attribute(let name) = node, !CELExpression.attributes.contains(name) { throw Unsupported("unknown attribute \(name)") }
            return node
        }

        mutating func primary() throws(Unsupported) -> Node {
            guard let token = peek else { throw Unsupported("the expression ends too early") }
            position += 1
            switch token {
            case .int(let value): return .literal(.int(value))
            case .string(let value): return .literal(.string(value))
            case .identifier("true"): return .literal(.bool(true))
            case .identifier("false"): return .literal(.bool(false))
            case .identifier("null"): return .literal(.null)
            case .identifier("size") where peek == .symbol("("):
                position += 1
                let argument = try expression()
                try expect(")")
                return .call(argument, "size", [])
            case .identifier("has") where peek == .symbol("("):
                position += 1
                let argument = try expression()
                try expect(")")
                guard case .index = argument else { throw Unsupported("has() takes a header, e.g. has(request.headers.x_debug)") }
                return .has(argument)
            case .identifier(let name):
                // A root name: its fields follow as `.member` (checked once the attribute is whole).
                return .attribute(name)
            case .symbol("("):
                let inner = try expression()
                try expect(")")
                return inner
            case .symbol("["):
                var items: [Node] = []
                if !take("]") {
                    repeat { items.append(try expression()) } while take(",")
                    try expect("]")
                }
                return .list(items)
            case .symbol(let symbol):
                throw Unsupported("unexpected \(symbol)")
            }
        }
    }
}
