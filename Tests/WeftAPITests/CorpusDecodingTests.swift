import Foundation
import Testing
import WeftAPI
import Yams

/// Every Istio sample and istio.io task file decodes and validates, except the kinds Weft does
/// not handle, which must get the clear "not supported by Weft" error.
@Suite("Istio corpus", .enabled(if: Corpus.isPresent, "../shared/istio-corpus is absent: corpus tests skipped"))
struct CorpusDecodingTests {
    /// Files whose documents are expected to fail, and the reason text each failure must carry.
    static let expectedFailures: [String: String] = [
        "samples/bookinfo/policy/productpage_envoy_ratelimit.yaml": "is not supported by Weft",
        "samples/httpbin/gateway-api/httpbin-gateway.yaml": "is not supported by Weft",
        "samples/bookinfo/swagger.yaml": "not a Kubernetes resource",
    ]

    static func relative(_ url: URL) -> String {
        String(url.path.dropFirst(Corpus.root.path.count + 1))
    }

    @Test("every corpus document decodes and is valid, or is refused clearly")
    func corpusDocumentsAreValid() throws {
        let files = Corpus.yamlFiles(under: ["samples", "docs-tasks"])
        #expect(files.count >= 60, "expected the corpus's samples and docs-tasks YAML, found \(files.count) files")
        var resources = 0
        for file in files {
            let name = Self.relative(file)
            let reports = ConfigLoader.load(text: try Corpus.text(file), file: name)
            #expect(!reports.isEmpty, "\(name) gave no documents")
            for report in reports {
                if let reason = Self.expectedFailures[name] {
                    #expect(!report.isValid, "\(name): \(report.displayName) should be refused")
                    #expect(report.errors.contains { $0.message.contains(reason) }, "\(name): \(report.displayName) should say \"\(reason)\", said \(report.errors.map(\.message))")
                } else {
                    #expect(report.isValid, "\(name): \(report.displayName): \(report.errors.map { report.describe($0) })")
                    resources += 1
                }
            }
        }
        #expect(resources >= 120, "expected at least 120 valid corpus resources, got \(resources)")
    }

    @Test("decode, encode, decode gives equal values for every corpus resource (JSON and YAML)")
    func roundTrip() throws {
        var checked = 0
        for file in Corpus.yamlFiles(under: ["samples", "docs-tasks"]) {
            for report in ConfigLoader.load(text: try Corpus.text(file), file: Self.relative(file)) {
                guard let resource = report.resource else { continue }
                for format in RoundTrip.Format.allCases {
                    let again = try RoundTrip.reload(resource, as: format)
                    #expect(again.issues.filter { $0.severity == .error }.isEmpty, "\(report.displayName) via \(format): \(again.issues)")
                    #expect(again.resource.map { AnyHashable($0) } == AnyHashable(resource), "\(report.displayName) changed on a \(format) round trip")
                }
                checked += 1
            }
        }
        #expect(checked >= 120)
    }

    @Test("analyzer test data decodes without crashing, and Istio kinds in it are recognised")
    func analyzerTestdataDecodes() throws {
        var resources = 0
        for file in Corpus.yamlFiles(under: ["analyze/testdata"]) {
            let reports = ConfigLoader.load(text: try Corpus.text(file), file: Self.relative(file))
            for report in reports where report.resource != nil { resources += 1 }
        }
        #expect(resources > 200, "expected most analyzer inputs to decode, got \(resources)")
    }
}

/// Encodes a decoded resource and loads it again, as `weft get -o json|yaml` followed by `weft apply` would.
enum RoundTrip {
    /// The two encodings users see.
    enum Format: String, CaseIterable { case json, yaml }

    static func reload(_ resource: any APIResource, as format: Format) throws -> ResourceReport {
        let text: String
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            text = String(decoding: try encoder.encode(resource), as: UTF8.self)
        case .yaml:
            text = try YAMLEncoder().encode(resource)
        }
        let reports = ConfigLoader.load(text: text, file: "roundtrip.\(format.rawValue)")
        guard reports.count == 1, let report = reports.first else {
            throw RoundTripError(description: "expected one document, got \(reports.count)")
        }
        return report
    }

    struct RoundTripError: Error, CustomStringConvertible { var description: String }
}
