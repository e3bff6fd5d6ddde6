import Foundation
import NIOHTTP1
import WeftHTTPServer

/// productpage's login session: `POST /login` stores the user in a `session` cookie and
/// `GET /logout` clears it. Like Flask's, the cookie is set by the app; unlike Flask's it is not
/// signed (Bookinfo's login has no password check either: it is a routing demo, not security).
enum Session {
    static let cookieName = "session"

    /// The signed-in user of a request, from its `session` cookie.
    static func user(of request: APIRequest) -> String? {
        for header in request.headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let kv = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard kv.count == 2, kv[0] == cookieName, let data = Data(base64Encoded: base64Padded(String(kv[1]))) else { continue }
                let user = String(decoding: data, as: UTF8.self)
                return user.isEmpty ? nil : user
            }
        }
        return nil
    }

    /// The `set-cookie` value that signs `user` in.
    static func cookie(for user: String) -> String {
        let value = Data(user.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return "\(cookieName)=\(value); Path=/; HttpOnly"
    }

    /// The `set-cookie` value that signs out.
    static var clearedCookie: String { "\(cookieName)=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/" }

    private static func base64Padded(_ text: String) -> String {
        text + String(repeating: "=", count: (4 - text.count % 4) % 4)
    }
}
