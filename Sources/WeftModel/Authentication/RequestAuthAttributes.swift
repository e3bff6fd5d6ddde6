import Foundation

/// A JSON value of a verified token's payload, as policies and routes read claims.
public indirect enum ClaimValue: Sendable, Hashable, Codable {
    case string(String)
    /// A number, as its JSON text (`42`, `1.5`).
    case number(String)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    /// The value as Istio compares it: a string as is; a number or bool as its text.
    public var scalarText: String? {
        switch self {
        case .string(let text), .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .array, .object, .null: return nil
        }
    }

    /// Read as plain JSON (a token's payload): numbers keep their text, `true` stays a bool.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let integer = try? container.decode(Int64.self) { self = .number(String(integer)) }
        else if let number = try? container.decode(Double.self) { self = .number(String(number)) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let elements = try? container.decode([ClaimValue].self) { self = .array(elements) }
        else { self = .object(try container.decode([String: ClaimValue].self)) }
    }

    /// Written as plain JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let text):
            if let integer = Int64(text) { try container.encode(integer) } else { try container.encode(Double(text) ?? 0) }
        case .bool(let flag): try container.encode(flag)
        case .array(let elements): try container.encode(elements)
        case .object(let object): try container.encode(object)
        case .null: try container.encodeNil()
        }
    }
}

/// What a verified JWT tells about the request (`request.auth.*`): the request principal
/// (`iss/sub`), audiences, presenter and claims.
public struct RequestAuthAttributes: Sendable, Hashable {
    public var principal: String
    public var audiences: [String]
    /// `azp`.
    public var presenter: String?
    /// The payload's top-level claims.
    public var claims: [String: ClaimValue]
    /// Top-level claims whose space-separated string counts as a list.
    public var spaceDelimitedClaims: Set<String>

    public init(principal: String, audiences: [String] = [], presenter: String? = nil, claims: [String: ClaimValue] = [:], spaceDelimitedClaims: Set<String> = []) {
        self.principal = principal
        self.audiences = audiences
        self.presenter = presenter
        self.claims = claims
        self.spaceDelimitedClaims = spaceDelimitedClaims
    }

    /// The string values at a claim path (`["groups"]`, `["nested", "key1"]`): a string claim is
    /// one value, a list claim each of its string elements (any may match, as in Istio), a
    /// space-delimited claim its words; absent, an object or null is none.
    public func claimValues(_ path: [String]) -> [String] {
        guard let first = path.first, var value = claims[first] else { return [] }
        for key in path.dropFirst() {
            guard case .object(let object) = value, let next = object[key] else { return [] }
            value = next
        }
        switch value {
        case .array(let elements): return elements.compactMap(\.scalarText)
        case .string(let text) where path.count == 1 && spaceDelimitedClaims.contains(first):
            return text.split(separator: " ").map(String.init)
        default: return value.scalarText.map { [$0] } ?? []
        }
    }

    /// A claim path as Istio writes it: `request.auth.claims[a][b]` (AuthorizationPolicy) takes
    /// `[a][b]`; `@request.auth.claims.a.b` (VirtualService) takes `a.b` or `[a][b]`.
    public static func claimPath(_ text: Substring) -> [String] {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { return [] }
            return text.dropFirst().dropLast().components(separatedBy: "][")
        }
        return text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}
