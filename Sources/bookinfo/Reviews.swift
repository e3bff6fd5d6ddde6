import Foundation
import NIOHTTP1
import WeftHTTPServer

/// The reviews service (Bookinfo's Java one). v1 (`ENABLE_RATINGS=false`) sends no ratings; v2 and v3
/// ask ratings with a 10 s (black stars) or 2.5 s (red stars) client timeout, and say so when it fails.
struct Reviews: Sendable {
    /// One review as the JSON carries it.
    struct Review: Codable, Sendable {
        var reviewer: String
        var text: String
        var rating: Rating?
    }

    /// Stars and their colour, or the error in their place.
    struct Rating: Codable, Sendable {
        var stars: Int?
        var color: String?
        var error: String?
    }

    /// The whole answer of `GET /reviews/<id>`.
    struct Body: Codable, Sendable {
        var id: String
        var podname: String
        var clustername: String
        var reviews: [Review]
    }

    let ratingsEnabled: Bool
    let starColor: String
    let podName: String
    let ratingsHost: String
    let ratingsPort: Int
    let client: HTTPClient

    init(environment: [String: String]) {
        ratingsEnabled = environment["ENABLE_RATINGS"] == "true"
        starColor = (environment["STAR_COLOR"]).flatMap { $0.isEmpty ? nil : $0 } ?? "black"
        podName = environment["HOSTNAME"] ?? "reviews"
        let domain = environment["SERVICES_DOMAIN"].map { $0.isEmpty ? "" : ".\($0)" } ?? ""
        ratingsHost = (environment["RATINGS_HOSTNAME"] ?? "ratings") + domain
        ratingsPort = environment["RATINGS_SERVICE_PORT"].flatMap(Int.init) ?? 9080
        client = HTTPClient(environment: environment)
    }

    static let texts = [
        ("Reviewer1", "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"),
        ("Reviewer2", "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare."),
    ]

    func handle(_ request: APIRequest) async -> APIResponse {
        if request.path == "/health" { return .json(#"{"status":"Reviews is healthy"}"#) }
        guard request.method == .GET, request.path.hasPrefix("/reviews/") else { return .json(#"{"error":"not found"}"#, status: .notFound) }
        let id = String(request.path.dropFirst("/reviews/".count))
        guard Int(id) != nil else { return .json(#"{"error":"please provide numeric product ID"}"#, status: .badRequest) }
        var ratings: [String: Int]?
        var ratingsFailed = false
        if ratingsEnabled {
            var headers = ForwardedHeaders.from(request)
            if let user = request.headers.first(name: "end-user") { headers.append(("end-user", user)) }
            ratings = await fetchRatings(id: id, headers: headers)
            ratingsFailed = ratings == nil
        }
        let reviews = Self.texts.map { reviewer, text in
            let rating: Rating? = !ratingsEnabled ? nil
                : ratingsFailed ? Rating(error: "Ratings service is currently unavailable")
                : Rating(stars: ratings?[reviewer] ?? -1, color: starColor)
            return Review(reviewer: reviewer, text: text, rating: rating)
        }
        let body = Body(id: id, podname: podName, clustername: "null", reviews: reviews)
        return APIResponse(status: .ok, body: (try? JSONEncoder().encode(body)).map(Array.init) ?? [])
    }

    private func fetchRatings(id: String, headers: [(String, String)]) async -> [String: Int]? {
        struct Answer: Decodable { var ratings: [String: Int] }
        let timeout: Duration = starColor == "black" ? .seconds(10) : .milliseconds(2500)
        guard let response = try? await client.send(host: ratingsHost, port: ratingsPort, path: "/ratings/\(id)", headers: headers, timeout: timeout),
              response.status == 200 else { return nil }
        return (try? JSONDecoder().decode(Answer.self, from: Data(response.body)))?.ratings
    }
}
