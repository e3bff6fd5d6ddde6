import Foundation

/// RFC 7515's unpadded base64url, as the parts of a compact JWS and the numbers of a JWK are written.
enum Base64URL {
    static func decode(_ text: Substring) -> Data? {
        guard !text.isEmpty else { return Data() }
        var standard = String()
        standard.reserveCapacity(text.utf8.count + 3)
        for character in text.unicodeScalars {
            switch character {
            case "-": standard.append("+")
            case "_": standard.append("/")
            case "+", "/": return nil  // not the URL alphabet
            default: standard.unicodeScalars.append(character)
            }
        }
        switch standard.utf8.count % 4 {
        case 2: standard += "=="
        case 3: standard += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: standard)
    }

    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
