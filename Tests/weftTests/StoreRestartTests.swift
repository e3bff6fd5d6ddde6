import Foundation
import Testing

/// A restart on a store that holds something this build cannot decode: reported, kept, never dropped.
@Suite("control plane restart with an unreadable stored resource", .serialized)
struct StoreRestartTests {
    /// Adds `spec.fieldFromANewerBuild` to the stored VirtualService, as a newer build's store would hold it.
    static func corruptVirtualService(in dataDirectory: URL) throws {
        let file = dataDirectory.appendingPathComponent("config.json")
        var store = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var entries = try #require(store["entries"] as? [[String: Any]])
        let index = try #require(entries.firstIndex { ($0["json"] as? String)?.contains("\"kind\":\"VirtualService\"") == true })
        let json = try #require(entries[index]["json"] as? String)
        entries[index]["json"] = json.replacingOccurrences(of: "\"spec\":{", with: "\"spec\":{\"fieldFromANewerBuild\":true,")
        store["entries"] = entries
        try JSONSerialization.data(withJSONObject: store).write(to: file)
    }

    static func storedText(_ dataDirectory: URL) -> String {
        (try? String(contentsOf: dataDirectory.appendingPathComponent("config.json"), encoding: .utf8)) ?? ""
    }

    @Test("logged with key and reason, shown by get as an error, kept on disk across later applies, removed by delete")
    func unreadableKept() throws {
        let first = try ControlPlaneProcess()
        let dataDirectory = first.dataDirectory
        #expect(try first.weft(["apply", "-f", "-"], stdin: ControlPlaneTests.bogusSubset).status == 0)
        #expect(first.stop() == 0)
        try Self.corruptVirtualService(in: dataDirectory)

        let restarted = try ControlPlaneProcess(restarting: first)
        let log = try String(contentsOf: restarted.logFile, encoding: .utf8)
        #expect(log.contains("stored resource cannot be read by this build"), "\(log)")
        #expect(log.contains("VirtualService default/reviews") && log.contains("fieldFromANewerBuild"), "\(log)")

        let listed = try restarted.weft(["get", "vs", "-o", "wide"])
        #expect(listed.stdout.contains("reviews") && listed.stdout.contains("Error:Unreadable"), "\(listed.stdout)")
        #expect(listed.stdout.contains("fieldFromANewerBuild"), "the reason, in the wide column: \(listed.stdout)")
        #expect(listed.stderr.contains("Error: VirtualService default/reviews: stored, but this build cannot read it"), "\(listed.stderr)")

        // Another change is saved: the unreadable entry is written back as it was, not dropped.
        #expect(try restarted.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        #expect(Self.storedText(dataDirectory).contains("fieldFromANewerBuild"))
        #expect(restarted.stop() == 0)

        let again = try ControlPlaneProcess(restarting: restarted)
        #expect(try again.weft(["get", "vs", "reviews"]).stdout.contains("Error:Unreadable"))
        #expect(try again.weft(["get", "svc", "reviews"]).stdout.contains("OK"))
        // A delete by name removes it; so would an apply of a readable one of the same name.
        let deleted = try again.weft(["delete", "vs", "reviews"])
        #expect(deleted.status == 0, "\(deleted.stdout)\(deleted.stderr)")
        #expect(!Self.storedText(dataDirectory).contains("fieldFromANewerBuild"))
        again.stop()
    }
}
