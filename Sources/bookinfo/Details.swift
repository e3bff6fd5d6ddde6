import NIOHTTP1
import WeftHTTPServer

/// The details service (Bookinfo's Ruby one): `GET /details/<id>` answers the book's details.
enum Details {
    static func handle(_ request: APIRequest) async -> APIResponse {
        if request.path == "/health" { return .json(#"{"status":"Details is healthy"}"#) }
        guard request.method == .GET, request.path.hasPrefix("/details/") else { return .json(#"{"error":"not found"}"#, status: .notFound) }
        guard let id = Int(request.path.dropFirst("/details/".count)) else {
            return .json(#"{"error":"please provide numeric product ID"}"#, status: .badRequest)
        }
        return .json(#"{"id":\#(id),"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}"#)
    }
}

extension APIResponse {
    /// A JSON body with a status (200 by default).
    static func json(_ text: String, status: HTTPResponseStatus = .ok) -> APIResponse {
        APIResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }
}
