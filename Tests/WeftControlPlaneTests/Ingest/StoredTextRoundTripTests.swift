import Foundation
import Testing
import WeftAPI
import WeftControlPlane

/// A resource stored by this build reads back as readable: the store's unreadable check (re-encoding
/// must give the stored text) never flags a good resource after a restart.
@Suite("stored text round trip")
struct StoredTextRoundTripTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = package.deletingLastPathComponent().appendingPathComponent("shared/istio-corpus")

    static func files(under folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }.filter { ["yaml", "yml"].contains($0.pathExtension) }.sorted { $0.path < $1.path }
    }

    @Test("every valid resource of examples/ and the corpus's samples and tasks decodes from its stored text")
    func storedTextReadsBack() throws {
        var folders = [Self.package.appendingPathComponent("examples")]
        let withCorpus = FileManager.default.fileExists(atPath: Self.corpus.path)
        if withCorpus {
            folders += ["samples", "docs-tasks", "security"].map { Self.corpus.appendingPathComponent($0) }
        } else {
            print("stored text round trip: ../shared/istio-corpus is absent; checking examples/ only")
        }
        var checked = 0
        for file in folders.flatMap(Self.files) {
            for report in ConfigLoader.load(text: try String(contentsOf: file, encoding: .utf8), file: file.lastPathComponent) where report.isValid {
                guard var resource = report.resource else { continue }
                if resource.resourceType.namespaced { resource.metadata.namespace = resource.namespace }
                let stored = try StoredResource(resource: resource, resourceVersion: 1)
                if case .failure(let failure) = CanonicalJSON.decode(stored.json, source: "store") {
                    Issue.record("\(file.lastPathComponent): \(stored.key): \(failure.reason)")
                }
                checked += 1
            }
        }
        // examples/ alone holds 20 resources; the corpus adds well over a hundred.
        #expect(checked >= (withCorpus ? 100 : 20), "checked \(checked) resources")
    }
}
