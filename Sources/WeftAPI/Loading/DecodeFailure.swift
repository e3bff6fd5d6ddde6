/// Turns a decoding error into an `Issue` with the field path and a reason a person understands.
enum DecodeFailure {
    static func issue(from error: any Error) -> Issue {
        guard let decoding = error as? DecodingError else {
            return Issue(severity: .error, path: .root, message: "\(error)")
        }
        switch decoding {
        case .typeMismatch(_, let context), .dataCorrupted(let context):
            return Issue(severity: .error, path: FieldPath(codingPath: context.codingPath), message: context.debugDescription)
        case .keyNotFound(let key, let context):
            return Issue(severity: .error, path: FieldPath(codingPath: context.codingPath + [key]), message: "required field \"\(key.stringValue)\" is missing")
        case .valueNotFound(_, let context):
            return Issue(severity: .error, path: FieldPath(codingPath: context.codingPath), message: "a value is required (got null)")
        @unknown default:
            return Issue(severity: .error, path: .root, message: "\(decoding)")
        }
    }
}

/// Base64 as Kubernetes writes Secret data (standard alphabet, padded).
public enum Base64 {
    public static func decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var table = [Int](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = index }
        let bytes = Array(text.utf8).filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        guard bytes.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 4 * 3)
        var index = 0
        while index < bytes.count {
            var values = [Int](repeating: 0, count: 4)
            var padding = 0
            for offset in 0..<4 {
                let byte = bytes[index + offset]
                if byte == UInt8(ascii: "=") {
                    guard index + 4 == bytes.count, offset >= 2 else { return nil }
                    padding += 1
                } else {
                    guard padding == 0, table[Int(byte)] >= 0 else { return nil }
                    values[offset] = table[Int(byte)]
                }
            }
            let combined = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
            output.append(UInt8((combined >> 16) & 0xFF))
            if padding < 2 { output.append(UInt8((combined >> 8) & 0xFF)) }
            if padding < 1 { output.append(UInt8(combined & 0xFF)) }
            index += 4
        }
        return output
    }
}
