/// Decodes and validates N resources (default 10,000) and prints resources per second, beside
/// the cost of YAML parsing alone, so the strict decoder's and the validator's share is visible.
/// Run through `Benchmarks/config-decode.sh`.
import Foundation
import WeftAPI
import Yams

let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 10_000
let corpusDirectory = CommandLine.arguments.dropFirst(2).first

/// Documents to repeat: the corpus's samples when given, else a built-in Bookinfo-like mix.
func seedDocuments() -> [String] {
    if let corpusDirectory, let enumerator = FileManager.default.enumerator(atPath: corpusDirectory) {
        var documents: [String] = []
        while let path = enumerator.nextObject() as? String {
            guard path.hasSuffix(".yaml"), let text = try? String(contentsOfFile: corpusDirectory + "/" + path, encoding: .utf8) else { continue }
            for report in ConfigLoader.load(text: text, file: path) where report.isValid {
                if let resource = report.resource, let yaml = try? YAMLEncoder().encode(resource) { documents.append(yaml) }
            }
        }
        if !documents.isEmpty { return documents }
    }
    return [
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - match:\n    - headers:\n        end-user: {exact: jason}\n    route:\n    - destination: {host: reviews, subset: v2}\n  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 50\n    - destination: {host: reviews, subset: v3}\n      weight: 50\n",
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy:\n    connectionPool:\n      tcp: {maxConnections: 1}\n      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}\n    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, labels: {app: reviews}}\nspec:\n  ports:\n  - {port: 9080, name: http}\n  selector: {app: reviews}\n",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: reviews-viewer}\nspec:\n  selector: {matchLabels: {app: reviews}}\n  action: ALLOW\n  rules:\n  - from:\n    - source: {principals: [cluster.local/ns/default/sa/bookinfo-productpage]}\n    to:\n    - operation: {methods: [GET]}\n",
    ]
}

let seeds = seedDocuments()
var documents: [String] = []
documents.reserveCapacity(count)
for index in 0..<count {
    documents.append(seeds[index % seeds.count])
}
let text = documents.joined(separator: "\n---\n")

func measure(_ label: String, _ body: () -> Int) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    let produced = body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let rate = Double(produced) / seconds
    print(String(format: "%-34@ %6d resources in %7.3f s = %9.0f resources/s", label as NSString, produced, seconds, rate))
    return rate
}

print("seed documents: \(seeds.count), stream: \(text.utf8.count / 1024) KiB")
let parseRate = measure("YAML parse only (Yams compose)") {
    var parsed = 0
    if let parser = try? Parser(yaml: text) { while (try? parser.nextRoot()) ?? nil != nil { parsed += 1 } }
    return parsed
}
var valid = 0
let fullRate = measure("decode + validate (weft)") {
    let reports = ConfigLoader.load(text: text, file: "bench.yaml")
    valid = reports.filter(\.isValid).count
    return reports.count
}
print("valid: \(valid) of \(count)")
print(String(format: "decode + validate runs at %.2f of the YAML parser's rate", fullRate / parseRate))
if valid != count { exit(1) }
