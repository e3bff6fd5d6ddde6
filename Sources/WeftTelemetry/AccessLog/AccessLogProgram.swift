/// An access-log format made ready to write lines: everything that is the same on every line (a
/// text format's literals; a JSON format's braces, commas and escaped keys, its literal values) is
/// UTF-8 bytes made once, and only the operators are left to evaluate per line. Writing Istio's
/// JSON format key by key escaped its 24 keys again on every line (~9k instructions a request).
struct AccessLogProgram: Sendable {
    /// One step of writing a line.
    enum Piece: Sendable {
        /// Bytes written as they are.
        case bytes([UInt8])
        /// An operator's value as text: `-` when unavailable (a text format, or part of a JSON string).
        case text(AccessLogOperator, maxLength: Int?)
        /// A JSON value that is one operator: numbers as numbers, unavailable as null, text as a string.
        case typed(AccessLogOperator, maxLength: Int?)
        /// A JSON string made of several segments: written as text, then escaped as one string.
        case jsonString([AccessLogFormat.Segment])
        /// `%START_TIME%` in Envoy's default form, whole (a JSON value in quotes when `quoted`):
        /// written as digits, without a String made and escaped.
        case defaultStartTime(quoted: Bool)
    }

    let pieces: [Piece]

    init(_ shape: AccessLogFormat.Shape) {
        var builder = Builder()
        switch shape {
        case .text(let segments):
            for segment in segments { builder.add(segment) }
        case .json(let fields):
            builder.addObject(fields)
            builder.add(bytes: [UInt8(ascii: "\n")])
        }
        pieces = builder.finish()
    }

    /// Collects pieces, joining adjacent bytes into one.
    private struct Builder {
        var pieces: [Piece] = []
        var pending: [UInt8] = []

        mutating func add(bytes: [UInt8]) { pending += bytes }

        mutating func add(_ piece: Piece) {
            if !pending.isEmpty { pieces.append(.bytes(pending)) }
            pending = []
            pieces.append(piece)
        }

        mutating func add(_ segment: AccessLogFormat.Segment) {
            switch segment {
            case .literal(let text): add(bytes: Array(text.utf8))
            case .command(.startTime(StartTimeFormat.envoy), nil): add(.defaultStartTime(quoted: false))
            case .command(let command, let maxLength): add(.text(command, maxLength: maxLength))
            }
        }

        mutating func addObject(_ fields: [(key: String, value: AccessLogFormat.JSONValue)]) {
            add(bytes: [UInt8(ascii: "{")])
            for (index, field) in fields.enumerated() {
                var key: [UInt8] = index > 0 ? [UInt8(ascii: ",")] : []
                JSONText.appendString(field.key, to: &key)
                key.append(UInt8(ascii: ":"))
                add(bytes: key)
                switch field.value {
                case .literal(let text): add(bytes: Array(text.utf8))
                case .object(let nested): addObject(nested)
                case .template(let segments):
                    if segments.count == 1, case .command(.startTime(StartTimeFormat.envoy), nil) = segments[0] {
                        add(.defaultStartTime(quoted: true))
                    } else if segments.count == 1, case .command(let command, let maxLength) = segments[0] {
                        add(.typed(command, maxLength: maxLength))
                    } else if segments.allSatisfy({ if case .literal = $0 { true } else { false } }) {
                        var text: [UInt8] = []
                        JSONText.appendString(segments.map { if case .literal(let text) = $0 { text } else { "" } }.joined(), to: &text)
                        add(bytes: text)
                    } else {
                        add(.jsonString(segments))
                    }
                }
            }
            add(bytes: [UInt8(ascii: "}")])
        }

        mutating func finish() -> [Piece] {
            if !pending.isEmpty { pieces.append(.bytes(pending)) }
            pending = []
            return pieces
        }
    }
}
