import Foundation

/// Writes one access log line for an entry in a format: text as Envoy writes it (`-` for what is
/// unavailable), JSON as one object per line with a lone operator's value typed (numbers as
/// numbers, unavailable as null) and everything escaped so each line stays valid JSON.
public enum AccessLogFormatter {
    /// A command operator's value.
    enum Value {
        case text(String)
        case number(Int)
        case unavailable
    }

    public static func line(_ entry: AccessLogEntry, format: AccessLogFormat) -> String {
        String(decoding: bytes(entry, format: format), as: UTF8.self)
    }

    /// The line as UTF-8, built as bytes: what the proxy appends to its log's buffer.
    public static func bytes(_ entry: AccessLogEntry, format: AccessLogFormat) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        append(entry, format: format, to: &out)
        return out
    }

    /// Appends the line to `out`, piece by piece of the format's program.
    public static func append(_ entry: AccessLogEntry, format: AccessLogFormat, to out: inout [UInt8]) {
        for piece in format.program.pieces {
            switch piece {
            case .bytes(let bytes): out.append(contentsOf: bytes)
            case .text(let command, let maxLength): appendText(command, maxLength, entry, &out)
            case .defaultStartTime(let quoted):
                guard !StartTimeFormat.envoy.appendDefault(entry.startTime, quoted: quoted, to: &out) else { continue }
                let text = StartTimeFormat.envoy.render(entry.startTime)
                if quoted { JSONText.appendString(text, to: &out) } else { out.append(contentsOf: text.utf8) }
            case .typed(let command, let maxLength):
                switch value(command, entry) {
                case .text(let text): JSONText.appendString(truncated(text, maxLength), to: &out)
                case .number(let number): appendDecimal(number, to: &out)
                case .unavailable: out.append(contentsOf: "null".utf8)
                }
            case .jsonString(let segments):
                var text: [UInt8] = []
                appendText(segments, entry, &text)
                JSONText.appendString(String(decoding: text, as: UTF8.self), to: &out)
            }
        }
    }

    static func appendText(_ segments: [AccessLogFormat.Segment], _ entry: AccessLogEntry, _ out: inout [UInt8]) {
        for segment in segments {
            switch segment {
            case .literal(let text): out.append(contentsOf: text.utf8)
            case .command(let command, let maxLength): appendText(command, maxLength, entry, &out)
            }
        }
    }

    /// An operator's value as text: `-` when unavailable.
    static func appendText(_ command: AccessLogOperator, _ maxLength: Int?, _ entry: AccessLogEntry, _ out: inout [UInt8]) {
        switch value(command, entry) {
        case .text(let text): out.append(contentsOf: truncated(text, maxLength).utf8)
        case .number(let number): appendDecimal(number, to: &out)
        case .unavailable: out.append(UInt8(ascii: "-"))
        }
    }

    /// `number` in decimal digits, without making a String of it first.
    static func appendDecimal(_ number: Int, to out: inout [UInt8]) {
        guard number != 0 else { return out.append(UInt8(ascii: "0")) }
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    static func truncated(_ text: String, _ maxLength: Int?) -> String {
        guard let maxLength, text.count > maxLength else { return text }
        return String(text.prefix(maxLength))
    }

    static func optional(_ text: String?) -> Value { text.map(Value.text) ?? .unavailable }

    static func value(_ command: AccessLogOperator, _ entry: AccessLogEntry) -> Value {
        switch command {
        case .startTime(let format): return .text(format.render(entry.startTime))
        // No `??` or closure over `entry` here: each copied the whole entry (~40 retains) per operator.
        case .requestHeader(let choice, let withoutQuery):
            var found = entry.requestHeader(choice.requestKey)
            if found == nil, let alternative = choice.alternativeRequestKey { found = entry.requestHeader(alternative) }
            guard var text = found else { return .unavailable }
            if withoutQuery, let query = text.firstIndex(of: "?") { text = String(text[..<query]) }
            return .text(text)
        case .responseHeader(let choice):
            return optional(headerValue(entry.responseHeaders, choice))
        case .responseTrailer(let choice):
            return optional(headerValue(entry.responseTrailers, choice))
        case .environment(let name): return optional(ProcessInfo.processInfo.environment[name])
        case .unavailable: return .unavailable
        case .field(let field): return value(field, entry)
        }
    }

    static func value(_ field: AccessLogField, _ entry: AccessLogEntry) -> Value {
        switch field {
        case .protocolName: return .text(entry.protocolName)
        case .responseCode: return .number(entry.responseCode)
        case .responseCodeDetails: return optional(entry.responseCodeDetails)
        case .responseFlags: return .text(entry.responseFlags)
        case .responseFlagsLong: return .text(ResponseFlag.longNames(entry.responseFlags))
        case .connectionTerminationDetails: return optional(entry.connectionTerminationDetails)
        case .bytesReceived: return .number(entry.bytesReceived)
        case .bytesSent: return .number(entry.bytesSent)
        case .duration: return .number(entry.durationMs)
        case .requestDuration: return entry.requestDurationMs.map(Value.number) ?? .unavailable
        case .responseDuration: return entry.responseDurationMs.map(Value.number) ?? .unavailable
        case .responseTxDuration:
            guard let first = entry.responseDurationMs else { return .unavailable }
            return .number(max(0, entry.durationMs - first))
        case .upstreamHost, .upstreamRemoteAddress: return optional(entry.upstreamHost)
        case .upstreamCluster, .upstreamClusterRaw: return optional(entry.upstreamCluster)
        case .upstreamLocalAddress: return optional(entry.upstreamLocalAddress)
        case .upstreamTransportFailureReason: return optional(entry.upstreamTransportFailureReason)
        case .upstreamRequestAttemptCount: return entry.upstreamAttemptCount.map(Value.number) ?? .unavailable
        case .upstreamPeerURISAN: return optional(entry.upstreamPeerURISAN)
        case .downstreamRemoteAddress: return optional(entry.downstreamRemoteAddress)
        case .downstreamDirectRemoteAddress: return optional(entry.downstreamDirectRemoteAddress ?? entry.downstreamRemoteAddress)
        case .downstreamRemoteAddressWithoutPort: return optional(entry.downstreamRemoteAddress.map(withoutPort))
        case .downstreamDirectRemoteAddressWithoutPort: return optional((entry.downstreamDirectRemoteAddress ?? entry.downstreamRemoteAddress).map(withoutPort))
        case .downstreamRemotePort: return port(entry.downstreamRemoteAddress)
        case .downstreamLocalAddress: return optional(entry.downstreamLocalAddress)
        case .downstreamLocalAddressWithoutPort: return optional(entry.downstreamLocalAddress.map(withoutPort))
        case .downstreamLocalPort: return port(entry.downstreamLocalAddress)
        case .downstreamPeerURISAN: return optional(entry.downstreamPeerURISAN)
        case .downstreamLocalURISAN: return optional(entry.downstreamLocalURISAN)
        case .downstreamTLSVersion: return optional(entry.downstreamTLSVersion)
        case .requestedServerName: return optional(entry.requestedServerName)
        case .routeName: return optional(entry.routeName)
        case .hostname: return optional(ProcessInfo.processInfo.hostName)
        case .streamID:
            if let streamID = entry.streamID { return .text(streamID) }
            return optional(entry.requestHeader(.requestID))
        }
    }

    /// A response header's (or trailer's) value, or its alternative's.
    static func headerValue(_ headers: (any AccessLogHeaders)?, _ choice: AccessLogOperator.HeaderChoice) -> String? {
        guard let headers else { return nil }
        if let value = headers.accessLogValue(choice.name) { return value }
        return choice.alternative.flatMap { headers.accessLogValue($0) }
    }

    /// `10.0.0.1:80` → `10.0.0.1`; `[::1]:80` → `::1`.
    static func withoutPort(_ address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") { return String(address[address.index(after: address.startIndex)..<close]) }
        guard let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon else { return address }
        return String(address[..<colon])
    }

    static func port(_ address: String?) -> Value {
        guard let address, let colon = address.lastIndex(of: ":"), let number = Int(address[address.index(after: colon)...]) else { return .unavailable }
        return .number(number)
    }
}
