import Foundation

/// productpage's HTML: the title "Simple Bookstore App", the book, its details and its reviews
/// with stars in the colour reviews chose, and which reviews pod served them.
enum ProductPageHTML {
    /// The details fields the page shows.
    struct BookDetails: Decodable {
        var type: String?
        var pages: Int?
        var publisher: String?
        var language: String?
        var isbn10: String?
        var isbn13: String?
        enum CodingKeys: String, CodingKey {
            case type, pages, publisher, language
            case isbn10 = "ISBN-10", isbn13 = "ISBN-13"
        }
    }

    static func page(product: ProductPage.Product, user: String?, details: ProductPage.Fetched, reviews: ProductPage.Fetched) -> String {
        var html = header(user: user)
        html += """
        <div class="container-fluid">
        <div class="row"><div class="col-md-12">
        <h3 class="text-center text-primary">\(product.title)</h3>
        <p>Summary: \(product.descriptionHtml)</p>
        </div></div>
        <div class="row">
        <div class="col-md-6">\n
        """
        html += detailsSection(details)
        html += "</div>\n<div class=\"col-md-6\">\n"
        html += reviewsSection(reviews)
        html += "</div>\n</div>\n</div>\n</body>\n</html>\n"
        return html
    }

    private static func detailsSection(_ fetched: ProductPage.Fetched) -> String {
        guard case .ok(let body) = fetched, let details = try? JSONDecoder().decode(BookDetails.self, from: Data(body)) else {
            let error = if case .failed(_, let text) = fetched { text } else { "Sorry, product details are currently unavailable for this book." }
            return "<h4 class=\"text-center text-primary\">Error fetching product details!</h4>\n<p>\(escape(error))</p>\n"
        }
        var html = "<h4 class=\"text-center text-primary\">Book Details</h4>\n<dl>\n"
        let rows: [(String, String?)] = [("Type:", details.type), ("Pages:", details.pages.map(String.init)), ("Publisher:", details.publisher),
                                        ("Language:", details.language), ("ISBN-10:", details.isbn10), ("ISBN-13:", details.isbn13)]
        for (label, value) in rows { html += "<dt>\(label)</dt>\(escape(value ?? ""))\n" }
        return html + "</dl>\n"
    }

    private static func reviewsSection(_ fetched: ProductPage.Fetched) -> String {
        guard case .ok(let body) = fetched, let reviews = try? JSONDecoder().decode(Reviews.Body.self, from: Data(body)) else {
            let error = if case .failed(_, let text) = fetched { text } else { "Sorry, product reviews are currently unavailable for this book." }
            return "<h4 class=\"text-center text-primary\">Error fetching product reviews!</h4>\n<p>\(escape(error))</p>\n"
        }
        var html = "<h4 class=\"text-center text-primary\">Book Reviews</h4>\n"
        for review in reviews.reviews {
            html += "<blockquote>\n<p>\(escape(review.text))</p>\n<small>\(escape(review.reviewer))</small>\n"
            if let rating = review.rating {
                if let stars = rating.stars, stars >= 0 {
                    let color = rating.color ?? "black"
                    html += "<font color=\"\(escape(color))\">\n"
                    html += String(repeating: "<span class=\"glyphicon glyphicon-star\"></span>\n", count: min(stars, 5))
                    html += String(repeating: "<span class=\"glyphicon glyphicon-star-empty\"></span>\n", count: max(0, 5 - stars))
                    html += "</font>\n"
                } else if let error = rating.error {
                    html += "<p><i>\(escape(error))</i></p>\n"
                }
            }
            html += "</blockquote>\n"
        }
        html += "<dl>\n<dt>Reviews served by:</dt>\n<u>\(escape(reviews.podname))</u>\n</dl>\n"
        return html
    }

    private static func header(user: String?) -> String {
        let account = user.map { "<p class=\"navbar-text navbar-right\">Signed in as <b>\(escape($0))</b> <a href=\"/logout\">sign out</a></p>" }
            ?? """
            <form class="navbar-form navbar-right" method="post" action="/login">
            <input type="text" name="username" placeholder="User Name"> <input type="password" name="passwd" placeholder="Password">
            <button type="submit">Sign in</button></form>
            """
        return """
        <!DOCTYPE html>
        <html>
        <head>
        <meta charset="utf-8">
        <title>Simple Bookstore App</title>
        <link rel="stylesheet" href="static/bootstrap/css/bootstrap.min.css">
        </head>
        <body>
        <nav class="navbar navbar-inverse"><a class="navbar-brand" href="/">BookInfo Sample</a>
        \(account)
        </nav>\n
        """
    }

    static func index() -> String {
        """
        <!DOCTYPE html>
        <html>
        <head><meta charset="utf-8"><title>Simple Bookstore App</title></head>
        <body>
        <h3>Hello! This is a simple bookstore application consisting of three services as shown below</h3>
        <p>productpage → details; productpage → reviews (v1, v2, v3) → ratings</p>
        <p><a href="/productpage?u=normal">Normal user</a> · <a href="/productpage?u=test">Test user</a></p>
        </body>
        </html>\n
        """
    }

    static let stylesheet = """
    body { font-family: sans-serif; margin: 0; }
    .navbar { background: #222; color: #ddd; padding: 12px; display: flex; justify-content: space-between; }
    .navbar a { color: #ddd; }
    .container-fluid { padding: 16px; }
    .row { display: flex; gap: 24px; }
    .col-md-6 { flex: 1; }
    .glyphicon-star::before { content: "★"; }
    .glyphicon-star-empty::before { content: "☆"; }
    blockquote { border-left: 4px solid #ccc; margin: 12px 0; padding-left: 12px; }\n
    """

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
