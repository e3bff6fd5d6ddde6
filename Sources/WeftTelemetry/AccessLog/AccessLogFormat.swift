import Foundation

/// An access-log format as Envoy reads one: a format string (`TEXT`) of literal text and command
/// operators, or a format dictionary (`JSON`) whose string values are format strings. Parsed once
/// per configuration; an unknown operator or a broken template is refused with its position.
public struct AccessLogFormat: Sendable, Hashable {
    /// A piece of a format string.
    public enum Segment: Sendable, Hashable {
        case literal(String)
        /// An operator, its value cut to `maxLength` characters when given (`%REQ(USER-AGENT):10%`).
        case command(AccessLogOperator, maxLength: Int?)
    }

    /// A value of a format dictionary.
    public indirect enum JSONValue: Sendable, Hashable {
        /// A format string; a lone operator keeps its type (numbers as numbers, unavailable as null).
        case template([Segment])
        case object([(key: String, value: JSONValue)])
        /// A number, boolean or null written in the format, output as written.
        case literal(String)

        public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
            switch (lhs, rhs) {
            case (.template(let a), .template(let b)): return a == b
            case (.literal(let a), .literal(let b)): return a == b
            case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .template(let segments): hasher.combine(0); hasher.combine(segments)
            case .literal(let text): hasher.combine(1); hasher.combine(text)
            case .object(let fields):
                hasher.combine(2)
                for field in fields { hasher.combine(field.key); hasher.combine(field.value) }
            }
        }
    }

    /// The two shapes.
    public enum Shape: Sendable, Hashable {
        case text([Segment])
        /// Keys sorted, as Envoy writes a format dictionary.
        case json([(key: String, value: JSONValue)])

        public static func == (lhs: Shape, rhs: Shape) -> Bool {
            switch (lhs, rhs) {
            case (.text(let a), .text(let b)): return a == b
            case (.json(let a), .json(let b)): return JSONValue.object(a) == JSONValue.object(b)
            default: return false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .text(let segments): hasher.combine(segments)
            case .json(let fields): hasher.combine(JSONValue.object(fields))
            }
        }
    }

    public let shape: Shape
    /// The shape made ready to write lines.
    let program: AccessLogProgram

    init(shape: Shape) {
        self.shape = shape
        program = AccessLogProgram(shape)
    }

    public static func == (lhs: AccessLogFormat, rhs: AccessLogFormat) -> Bool { lhs.shape == rhs.shape }

    public func hash(into hasher: inout Hasher) { hasher.combine(shape) }

    /// A format string. Istio ends every format with a newline, adding one when it is missing.
    public static func text(_ template: String) throws(AccessLogFormatError) -> AccessLogFormat {
        let terminated = template.hasSuffix("\n") ? template : template + "\n"
        return AccessLogFormat(shape: .text(try parse(terminated)))
    }

    /// A format string as written, no newline added (an OpenTelemetry log record's body and
    /// attributes: Istio passes the provider's text to Envoy as it is).
    public static func verbatim(_ template: String) throws(AccessLogFormatError) -> AccessLogFormat {
        AccessLogFormat(shape: .text(try parse(template)))
    }

    /// A format dictionary given as a JSON object (MeshConfig `accessLogFormat` with JSON encoding).
    public static func json(_ objectText: String) throws(AccessLogFormatError) -> AccessLogFormat {
        let parsed: JSONNode
        do {
            parsed = try JSONDecoder().decode(JSONNode.self, from: Data(objectText.utf8))
        } catch {
            throw AccessLogFormatError("a JSON access log format must be a JSON object of format strings: \(objectText.prefix(60))")
        }
        guard case .object(let object) = parsed else { throw AccessLogFormatError("a JSON access log format must be a JSON object of format strings") }
        return try json(object)
    }

    /// A format dictionary of format strings (the Telemetry API provider's `labels`).
    public static func json(_ fields: [String: String]) throws(AccessLogFormatError) -> AccessLogFormat {
        try json(fields.mapValues(JSONNode.string))
    }

    static func json(_ object: [String: JSONNode]) throws(AccessLogFormatError) -> AccessLogFormat {
        guard !object.isEmpty else { throw AccessLogFormatError("a JSON access log format needs at least one key") }
        return AccessLogFormat(shape: .json(try fields(object, path: "")))
    }

    /// A JSON document as the format dictionary reads it.
    enum JSONNode: Decodable {
        case string(String)
        case object([String: JSONNode])
        case literal(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .literal("null") }
            else if let text = try? container.decode(String.self) { self = .string(text) }
            else if let flag = try? container.decode(Bool.self) { self = .literal(flag ? "true" : "false") }
            else if let number = try? container.decode(Int.self) { self = .literal(String(number)) }
            else if let number = try? container.decode(Double.self) { self = .literal(String(number)) }
            else if let object = try? container.decode([String: JSONNode].self) { self = .object(object) }
            else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "a list is not a format value") }
        }
    }

    private static func fields(_ object: [String: JSONNode], path: String) throws(AccessLogFormatError) -> [(key: String, value: JSONValue)] {
        var result: [(key: String, value: JSONValue)] = []
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            do throws(AccessLogFormatError) {
                switch value {
                case .string(let text): result.append((key, .template(try parse(text))))
                case .object(let nested): result.append((key, .object(try fields(nested, path: path + key + "."))))
                case .literal(let text): result.append((key, .literal(text)))
                }
            } catch {
                throw AccessLogFormatError("key \"\(path)\(key)\": \(error.description)")
            }
        }
        return result
    }

    /// Splits a format string into literals and `%NAME(ARG):N%` commands (Envoy's grammar: the
    /// argument runs to the first `)`, so `%START_TIME(%s)%` is one command).
    static func parse(_ template: String) throws(AccessLogFormatError) -> [Segment] {
        var segments: [Segment] = []
        var literal = ""
        let scalars = Array(template.unicodeScalars)
        var index = 0
        func isNameScalar(_ scalar: Unicode.Scalar) -> Bool { ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_" }
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "%" else {
                literal.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            // `%%` is a literal percent sign, as in Envoy.
            if index + 1 < scalars.count, scalars[index + 1] == "%" {
                literal.unicodeScalars.append("%")
                index += 2
                continue
            }
            let start = index
            index += 1
            var name = ""
            while index < scalars.count, isNameScalar(scalars[index]) {
                name.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard !name.isEmpty else { throw AccessLogFormatError("no valid command operator at position \(start): a literal % is written %%") }
            var argument: String?
            if index < scalars.count, scalars[index] == "(" {
                index += 1
                var text = ""
                while index < scalars.count, scalars[index] != ")" {
                    text.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard index < scalars.count else { throw AccessLogFormatError("%\(name)(… at position \(start) has no closing parenthesis") }
                index += 1
                argument = text
            }
            var maxLength: Int?
            if index < scalars.count, scalars[index] == ":" {
                index += 1
                var digits = ""
                while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                    digits.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard let length = Int(digits), length > 0 else { throw AccessLogFormatError("%\(name)…:N% at position \(start) needs a positive length") }
                maxLength = length
            }
            guard index < scalars.count, scalars[index] == "%" else {
                throw AccessLogFormatError("command operator %\(name) at position \(start) is not closed with %")
            }
            index += 1
            let command = try AccessLogOperator.parse(name: name, argument: argument, position: start)
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = ""
            }
            segments.append(.command(command, maxLength: maxLength))
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        return segments
    }

    /// Istio's default TEXT format (pilot/pkg/model/telemetry_logging.go, EnvoyTextLogFormat).
    public static let istioTextTemplate = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" "
        + "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
        + "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "
        + "\"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" "
        + "%UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"

    /// Istio's default JSON format (EnvoyJSONLogFormatIstio).
    public static let istioJSONFields: [String: String] = [
        "start_time": "%START_TIME%", "route_name": "%ROUTE_NAME%", "method": "%REQ(:METHOD)%", "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "protocol": "%PROTOCOL%", "response_code": "%RESPONSE_CODE%", "response_flags": "%RESPONSE_FLAGS%",
        "response_code_details": "%RESPONSE_CODE_DETAILS%", "connection_termination_details": "%CONNECTION_TERMINATION_DETAILS%",
        "bytes_received": "%BYTES_RECEIVED%", "bytes_sent": "%BYTES_SENT%", "duration": "%DURATION%",
        "upstream_service_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%", "x_forwarded_for": "%REQ(X-FORWARDED-FOR)%",
        "user_agent": "%REQ(USER-AGENT)%", "request_id": "%REQ(X-REQUEST-ID)%", "authority": "%REQ(:AUTHORITY)%",
        "upstream_host": "%UPSTREAM_HOST%", "upstream_cluster": "%UPSTREAM_CLUSTER%", "upstream_local_address": "%UPSTREAM_LOCAL_ADDRESS%",
        "downstream_local_address": "%DOWNSTREAM_LOCAL_ADDRESS%", "downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%",
        "requested_server_name": "%REQUESTED_SERVER_NAME%", "upstream_transport_failure_reason": "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
    ]

    /// MeshConfig's `accessLogEncoding` and `accessLogFormat` as Istio reads them: an empty format is Istio's default.
    public static func mesh(encoding: String?, format: String?) throws(AccessLogFormatError) -> AccessLogFormat {
        let given = format.flatMap { $0.isEmpty ? nil : $0 }
        if encoding == "JSON" {
            if let given { return try json(given) }
            return try json(istioJSONFields)
        }
        return try text(given ?? istioTextTemplate)
    }
}
