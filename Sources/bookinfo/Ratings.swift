import NIOHTTP1
import WeftHTTPServer

/// The ratings service (Bookinfo's Node one): `GET /ratings/<id>` answers each reviewer's stars.
enum Ratings {
    static func handle(_ request: APIRequest) async -> APIResponse {
        if request.path == "/health" { return .json(#"{"status":"Ratings is healthy"}"#) }
        guard request.method == .GET, request.path.hasPrefix("/ratings/") else { return .json(#"{"error":"not found"}"#, status: .notFound) }
        guard let id = Int(request.path.dropFirst("/ratings/".count)) else {
            return .json(#"{"error":"please provide numeric product ID"}"#, status: .badRequest)
        }
        return .json(#"{"id":\#(id),"ratings":{"Reviewer1":5,"Reviewer2":4}}"#)
    }
}
