import ArgumentParser
import Foundation
import WeftHTTPServer

/// `bookinfo SERVICE`: one of Bookinfo's four services, written for Weft (same paths, bodies,
/// call graph and client timeouts as Istio's sample). Run each with `weft run` so calls go through
/// the mesh.
/// Holds the stop signals for the signal queue (see `StopSignals`), then runs the command.
@main
enum BookinfoMain {
    static func main() {
        StopSignals.holdForSignalQueue()
        StopSignals.runWhileMainThreadWaits { await BookinfoCommand.main() }
    }
}

struct BookinfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookinfo",
        abstract: "Run one Bookinfo service: productpage, details, reviews or ratings.",
        discussion: "Binds $WEFT_APP_ADDRESS:$PORT (127.0.0.1:9080 by default). reviews reads ENABLE_RATINGS and STAR_COLOR; productpage and reviews read SERVICES_DOMAIN, *_HOSTNAME and *_SERVICE_PORT.")

    /// The four services.
    enum Service: String, ExpressibleByArgument, CaseIterable {
        case productpage, details, reviews, ratings
    }

    @Argument(help: "productpage, details, reviews or ratings.")
    var service: Service

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        switch service {
        case .details: try await BookinfoServer.run(name: "details", handler: Details.handle)
        case .ratings: try await BookinfoServer.run(name: "ratings", handler: Ratings.handle)
        case .reviews:
            let reviews = Reviews(environment: environment)
            try await BookinfoServer.run(name: "reviews", handler: reviews.handle)
        case .productpage:
            let page = ProductPage(environment: environment)
            try await BookinfoServer.run(name: "productpage", handler: page.handle)
        }
    }
}
