import Foundation
import Testing
import WeftAPI
import WeftControlPlane

/// Istio's own analyzer test grid (`../shared/istio-corpus/analyze/expected.tsv`), replayed with
/// the rules of Istio's test: only the named analyzer runs, over all of the case's inputs (and its
/// mesh config), and its messages must equal the expected multiset of (code, resource).
@Suite("istioctl analyze grid", .enabled(if: AnalyzerGrid.isPresent, "../shared/istio-corpus/analyze is absent: grid skipped"))
struct AnalyzerGridTests {
    @Test("every in-scope row, and every row of an implemented analyzer, passes")
    func grid() throws {
        let cases = try AnalyzerGrid.load()
        var passedRows: [String: Int] = [:]
        var totalRows: [String: Int] = [:]
        var inScopeRows = 0, inScopePassed = 0
        var notImplemented: Set<String> = []
        for gridCase in cases {
            guard let analyzer = Analyzers.named(AnalyzerGrid.weftName(gridCase.analyzer)) else {
                #expect(!gridCase.inScope, "in-scope analyzer \(gridCase.analyzer) is not implemented")
                #expect(Analyzers.skipped.contains { $0.name == gridCase.analyzer }, "\(gridCase.analyzer) is neither implemented nor listed as skipped with a reason")
                notImplemented.insert(gridCase.analyzer)
                continue
            }
            let texts = try gridCase.inputs.map { (name: $0, text: try String(contentsOf: AnalyzerGrid.root.appendingPathComponent($0), encoding: .utf8)) }
            let meshConfig = try gridCase.meshConfig.map { try String(contentsOf: AnalyzerGrid.root.appendingPathComponent($0), encoding: .utf8) }
            let input = try AnalysisInputLoader(defaultNamespace: "", addDefaultResources: true, workloadsFromDeployments: false).load(texts, meshConfigText: meshConfig)
            let got = Analyzers.run(input, only: [analyzer]).map { "\($0.type.code) \($0.resource.testKey)" }.sorted()
            let want = gridCase.expected.sorted()
            let ok = got == want
            #expect(ok, "\(gridCase.analyzer) / \(gridCase.name): expected \(want), got \(got)")
            let rows = max(1, want.count)
            totalRows[gridCase.analyzer, default: 0] += rows
            if ok { passedRows[gridCase.analyzer, default: 0] += rows }
            if gridCase.inScope {
                inScopeRows += rows
                if ok { inScopePassed += rows }
            }
        }
        for name in totalRows.keys.sorted() {
            print("analyzer grid: \(name): \(passedRows[name] ?? 0)/\(totalRows[name] ?? 0) rows pass")
        }
        print("analyzer grid: in scope \(inScopePassed)/\(inScopeRows) rows pass; not implemented (out of scope): \(notImplemented.sorted().joined(separator: ", "))")
        #expect(inScopeRows == 134, "the grid should hold 134 in-scope rows, read \(inScopeRows)")
        #expect(inScopePassed == inScopeRows)
    }
}

/// One Go test case of the grid: an analyzer, its inputs and the messages it must produce.
struct GridCase {
    var analyzer: String
    var name: String
    var inputs: [String]
    var meshConfig: String?
    var inScope: Bool
    /// "CODE Kind [ns/]name", one per expected message; empty for a NONE case.
    var expected: [String]
}

enum AnalyzerGrid {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/istio-corpus/analyze")

    static var isPresent: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("expected.tsv").path) }

    /// The grid names analyzers by Go type; Weft uses istioctl's metadata names.
    static func weftName(_ gridName: String) -> String {
        [
            "authz.AuthorizationPoliciesAnalyzer": "auth.AuthorizationPoliciesAnalyzer",
            "serviceentry.ProtocolAddressesAnalyzer": "serviceentry.Analyzer",
            "deprecation.FieldAnalyzer": "deprecation.DeprecationAnalyzer",
            "deployment.ServiceAssociationAnalyzer": "deployment.MultiServiceAnalyzer",
        ][gridName] ?? gridName
    }

    static func load() throws -> [GridCase] {
        let text = try String(contentsOf: root.appendingPathComponent("expected.tsv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let header = lines.removeFirst()
        func column(_ name: String) -> Int { header.firstIndex(of: name) ?? -1 }
        let (code, resource, analyzer, caseName, inputs, mesh, scope) = (column("expected_code"), column("expected_resource"), column("analyzer"), column("case"), column("all_inputs"), column("mesh_config"), column("subject_in_scope"))
        var cases: [GridCase] = []
        for row in lines where row.count == header.count {
            let key = (row[analyzer], row[caseName], row[inputs])
            if let index = cases.firstIndex(where: { ($0.analyzer, $0.name, $0.inputs.joined(separator: ",")) == key }) {
                if row[code] != "NONE" { cases[index].expected.append("\(row[code]) \(row[resource])") }
                continue
            }
            cases.append(GridCase(
                analyzer: row[analyzer], name: row[caseName], inputs: row[inputs].split(separator: ",").map(String.init),
                meshConfig: row[mesh].isEmpty ? nil : row[mesh], inScope: row[scope] == "yes",
                expected: row[code] == "NONE" ? [] : ["\(row[code]) \(row[resource])"]))
        }
        return cases
    }
}
