import Testing
import WeftTelemetry
@testable import WeftProxy

/// A loop's memo of the series requests were recorded under, by the facts they were made from.
@Suite("Series memo")
struct SeriesMemoTests {
    static func key(peer: String?, reporter: RequestSeries.Reporter = .source, custom: [String] = []) -> SeriesMemo.Key {
        SeriesMemo.Key(facts: RequestTelemetry.SeriesFacts(peerHeader: peer, peerPrincipal: "cluster.local/ns/default/sa/sleep", serviceSource: "reviews",
                                                           mutualTLS: true, grpc: false, custom: custom),
                       reporter: reporter)
    }

    @Test("the same facts and reporter find the series made before; other facts, another reporter or other tag values make their own; past the limit it starts over")
    func remembered() {
        var memo = SeriesMemo()
        var made: [SeriesMemo.Key] = []
        func series(_ key: SeriesMemo.Key) -> RequestMetrics.SeriesID {
            memo.series(key) {
                made.append(key)
                return RequestMetrics.SeriesID(made.count)
            }
        }
        #expect(series(Self.key(peer: "a")) == 1 && series(Self.key(peer: "a")) == 1)
        #expect(series(Self.key(peer: "b")) == 2 && series(Self.key(peer: nil)) == 3)
        #expect(series(Self.key(peer: "a", reporter: .destination)) == 4 && series(Self.key(peer: "a", custom: ["x"])) == 5)
        #expect(made.count == 5 && series(Self.key(peer: "b")) == 2)
        for index in 0..<SeriesMemo.limit { _ = series(Self.key(peer: "filler \(index)")) }
        #expect(series(Self.key(peer: "a")) != 1, "made again after the memo started over")
    }
}
