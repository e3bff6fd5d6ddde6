import Foundation
import Testing
@testable import WeftControlPlane

@Suite("push ledger")
struct PushLedgerTests {
    func resources(_ texts: String...) -> [PushLedger.SentResource] {
        texts.enumerated().map { .init(name: "r\($0.offset)", payload: Data($0.element.utf8)) }
    }

    @Test("the first push always goes; one with the same resources does not; a change late in a same-length payload does")
    func skipsUnchanged() {
        var ledger = PushLedger()
        let first = ledger.push(proxy: 1, typeURL: "t", version: "1.1", resources: [])
        #expect(first != nil, "an empty first push still goes: the proxy waits for every type")
        let r1 = ledger.push(proxy: 1, typeURL: "t", version: "1.2", resources: [])
        #expect(r1 == nil)
        let subsetV1 = String(repeating: "x", count: 4096) + "v1"
        let r2 = ledger.push(proxy: 1, typeURL: "t", version: "2.3", resources: resources(subsetV1))
        #expect(r2 != nil)
        let r3 = ledger.push(proxy: 1, typeURL: "t", version: "2.4", resources: resources(subsetV1.replacingOccurrences(of: "v1", with: "v2")))
        #expect(r3 != nil)
        #expect(ledger.types(of: 1)["t"]?.sent == "2.4")
    }

    @Test("ACKs and NACKs count only for the latest nonce; state is SYNCED, STALE or NACKED")
    func answers() throws {
        var ledger = PushLedger()
        let r4 = ledger.push(proxy: 7, typeURL: "clusters", version: "3.1", resources: resources("a"))
        let clusters = try #require(r4)
        let r5 = ledger.push(proxy: 7, typeURL: "routes", version: "3.1", resources: resources("b"))
        let routes = try #require(r5)
        #expect(ledger.state(of: 7) == "STALE")
        let r6 = ledger.answer(proxy: 7, typeURL: "clusters", version: "3.1", nonce: "stale-nonce", error: nil)
        #expect(!r6)
        let r7 = ledger.answer(proxy: 7, typeURL: "clusters", version: "3.1", nonce: clusters, error: nil)
        #expect(r7)
        #expect(ledger.state(of: 7) == "STALE", "routes not acknowledged yet")
        let r8 = ledger.answer(proxy: 7, typeURL: "routes", version: "3.1", nonce: routes, error: nil)
        #expect(r8)
        #expect(ledger.state(of: 7) == "SYNCED")

        let r9 = ledger.push(proxy: 7, typeURL: "routes", version: "4.2", resources: resources("c"))
        let rejected = try #require(r9)
        let r10 = ledger.answer(proxy: 7, typeURL: "routes", version: "3.1", nonce: rejected, error: "bad ring size")
        #expect(r10)
        #expect(ledger.state(of: 7) == "NACKED")
        #expect(ledger.types(of: 7)["routes"]?.acked == "3.1", "a NACK keeps the version still serving")
        ledger.forget(proxy: 7)
        #expect(ledger.types(of: 7).isEmpty)
    }
}
