import Foundation
import NIOHTTP1
import WeftHTTPServer

/// The productpage service (Bookinfo's Python UI): the page, the login, and `/api/v1/products`.
/// Calls details (3 s timeout) and reviews (3 s, tried twice: Bookinfo's deliberate bug that the
/// fault-injection task relies on) with the `end-user` header made from the session.
struct ProductPage: Sendable {
    /// The one book.
    static let product = Product(id: 0, title: "The Comedy of Errors",
                                 descriptionHtml: #"<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare's</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play."#)

    /// A product of `/api/v1/products`.
    struct Product: Codable, Sendable {
        var id: Int
        var title: String
        var descriptionHtml: String
    }

    /// An upstream answer: the status and the decoded JSON object, or the error text shown instead.
    enum Fetched: Sendable {
        case ok([UInt8])
        case failed(status: Int, error: String)
    }

    let client: HTTPClient
    let details: (host: String, port: Int)
    let reviews: (host: String, port: Int)
    let ratings: (host: String, port: Int)

    init(environment: [String: String]) {
        client = HTTPClient(environment: environment)
        let domain = environment["SERVICES_DOMAIN"].map { $0.isEmpty ? "" : ".\($0)" } ?? ""
        func service(_ name: String) -> (host: String, port: Int) {
            ((environment["\(name.uppercased())_HOSTNAME"] ?? name) + domain, environment["\(name.uppercased())_SERVICE_PORT"].flatMap(Int.init) ?? 9080)
        }
        details = service("details")
        reviews = service("reviews")
        ratings = service("ratings")
    }

    func handle(_ request: APIRequest) async -> APIResponse {
        switch (request.method, request.path) {
        case (.GET, "/"), (.GET, "/index.html"): return .html(ProductPageHTML.index())
        case (.GET, "/health"): return .json(#"{"status":"Product page is healthy"}"#)
        case (.GET, "/productpage"): return await page(request)
        case (.POST, "/login"): return login(request)
        case (.GET, "/logout"):
            return APIResponse(status: .found, contentType: "text/html", body: [], headers: [("location", "/productpage"), ("set-cookie", Session.clearedCookie)])
        case (.GET, "/api/v1/products"):
            return APIResponse(status: .ok, body: (try? JSONEncoder().encode([Self.product])).map(Array.init) ?? [])
        case (.GET, _) where request.path.hasPrefix("/api/v1/products/"): return await api(request)
        case (.GET, _) where request.path.hasPrefix("/static/"): return Self.staticFile(request.path)
        default: return .text(.notFound, "Not Found\n")
        }
    }

    private func login(_ request: APIRequest) -> APIResponse {
        let form = APIRequest(method: .GET, uri: "/?" + request.bodyText, headers: [:], body: []).query
        let user = form["username"] ?? ""
        let back = request.headers.first(name: "referer").flatMap { $0.isEmpty ? nil : $0 } ?? "/productpage"
        return APIResponse(status: .found, contentType: "text/html", body: [], headers: [("location", back), ("set-cookie", Session.cookie(for: user))])
    }

    private func page(_ request: APIRequest) async -> APIResponse {
        let user = Session.user(of: request)
        let headers = outgoingHeaders(request, user: user)
        async let detailsAnswer = fetchDetails(headers)
        async let reviewsAnswer = fetchReviews(headers)
        let html = ProductPageHTML.page(product: Self.product, user: user, details: await detailsAnswer, reviews: await reviewsAnswer)
        return .html(html)
    }

    private func api(_ request: APIRequest) async -> APIResponse {
        let parts = request.path.split(separator: "/").dropFirst(3)
        guard let idText = parts.first, let id = Int(idText) else { return .json(#"{"error":"please provide numeric product ID"}"#, status: .badRequest) }
        let headers = outgoingHeaders(request, user: Session.user(of: request))
        let answer: Fetched
        switch parts.dropFirst().first {
        case nil: return id == 0 ? APIResponse(status: .ok, body: (try? JSONEncoder().encode(Self.product)).map(Array.init) ?? []) : .json(#"{"error":"Product not found"}"#, status: .notFound)
        case "reviews": answer = await fetchReviews(headers, id: id)
        case "ratings": answer = await fetch(ratings, "/ratings/\(id)", headers, timeout: .seconds(3), error: "Sorry, product ratings are currently unavailable for this book.")
        default: return .text(.notFound, "Not Found\n")
        }
        switch answer {
        case .ok(let body): return APIResponse(status: .ok, body: body)
        case .failed(let status, let error): return .json(#"{"error":"\#(error)"}"#, status: HTTPResponseStatus(statusCode: status))
        }
    }

    private func outgoingHeaders(_ request: APIRequest, user: String?) -> [(String, String)] {
        var headers = ForwardedHeaders.from(request)
        if let user { headers.append(("end-user", user)) }
        return headers
    }

    private func fetchDetails(_ headers: [(String, String)], id: Int = 0) async -> Fetched {
        await fetch(details, "/details/\(id)", headers, timeout: .seconds(3), error: "Sorry, product details are currently unavailable for this book.")
    }

    private func fetchReviews(_ headers: [(String, String)], id: Int = 0) async -> Fetched {
        var last = Fetched.failed(status: 500, error: "")
        for _ in 0..<2 {
            last = await fetch(reviews, "/reviews/\(id)", headers, timeout: .seconds(3), error: "Sorry, product reviews are currently unavailable for this book.")
            if case .ok = last { return last }
        }
        return last
    }

    private func fetch(_ service: (host: String, port: Int), _ path: String, _ headers: [(String, String)], timeout: Duration, error: String) async -> Fetched {
        guard let response = try? await client.send(host: service.host, port: service.port, path: path, headers: headers, timeout: timeout) else {
            return .failed(status: 500, error: error)
        }
        return response.status == 200 ? .ok(response.body) : .failed(status: response.status, error: error)
    }

    private static func staticFile(_ path: String) -> APIResponse {
        guard path.hasSuffix(".css") else { return .text(.notFound, "Not Found\n") }
        return APIResponse(status: .ok, contentType: "text/css", body: Array(ProductPageHTML.stylesheet.utf8))
    }
}

extension APIResponse {
    /// An HTML page.
    static func html(_ text: String) -> APIResponse {
        APIResponse(status: .ok, contentType: "text/html; charset=utf-8", body: Array(text.utf8))
    }
}
