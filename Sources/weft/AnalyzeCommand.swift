import ArgumentParser
import Foundation
import WeftAPI
import WeftControlPlane


/// `weft analyze`: istioctl analyze for Weft, over files (and, later, the control plane's config).
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find configuration that is valid YAML but wrong together, with Istio's analyzers and IST codes.",
        discussion: "Exit status: 0 when no message reaches the failure threshold, 79 when one does (as istioctl), 2 on a usage or I/O error."
    )

    /// Output formats, as istioctl names them.
    enum Format: String, ExpressibleByArgument, CaseIterable { case log, json, yaml }

    @Argument(help: "Files or directories to analyze.")
    var paths: [String] = []

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A file, directory or - for standard input. Repeatable.")
    var files: [String] = []

    @Flag(name: .customLong("use-control-plane"), help: "Analyze the running control plane's configuration with the files layered on top.")
    var useControlPlane = false

    @OptionGroup var controlPlane: ControlPlaneOptions

    @Option(name: [.customShort("n"), .customLong("namespace")], help: "Namespace for resources that name none, and the namespace reported on.")
    var namespace: String = "default"

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Report on every namespace.")
    var allNamespaces = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: log, json or yaml.")
    var format: Format = .log

    @Option(name: .customLong("failure-threshold"), help: "The lowest level that makes the command fail: Info, Warning or Error.")
    var failureThreshold: String = "Error"

    @Option(name: .customLong("output-threshold"), help: "The lowest level printed: Info, Warning or Error.")
    var outputThreshold: String = "Info"

    @Option(name: [.customShort("S"), .customLong("suppress")], help: "Suppress messages: \"CODE=Kind name.namespace\" (* allowed in the resource). Repeatable.")
    var suppress: [String] = []

    @Flag(name: [.customShort("L"), .customLong("list-analyzers")], help: "List the analyzers, and those skipped with the reason.")
    var listAnalyzers = false

    mutating func validate() throws {
        guard MessageLevel(caseInsensitive: failureThreshold) != nil else { throw ValidationError("--failure-threshold must be Info, Warning or Error") }
        guard MessageLevel(caseInsensitive: outputThreshold) != nil else { throw ValidationError("--output-threshold must be Info, Warning or Error") }
        for rule in suppress where SuppressionRule(rule) == nil {
            throw ValidationError("invalid --suppress \"\(rule)\": expected CODE=Kind name.namespace")
        }
    }

    mutating func run() async throws {
        if listAnalyzers {
            print(AnalyzeOutput.analyzerList())
            return
        }
        let inputs: [InputFiles.Input]
        do {
            inputs = try InputFiles.read(paths + files)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        let input: AnalysisInput
        do {
            let loader = AnalysisInputLoader(defaultNamespace: namespace)
            if useControlPlane {
                input = try await ClusterLayering.input(loader: loader, client: controlPlane.client, localFiles: inputs)
            } else {
                input = try loader.load(inputs.map { ($0.name, $0.text) })
            }
        } catch let error as ControlPlaneClient.Unreachable {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let rules = suppress.compactMap(SuppressionRule.init)
        let shownLevel = MessageLevel(caseInsensitive: outputThreshold) ?? .Info
        let failLevel = MessageLevel(caseInsensitive: failureThreshold) ?? .Error
        let messages = Analyzers.run(input).filter { message in
            (allNamespaces || message.resource.namespace.isEmpty || message.resource.namespace == namespace)
                && !rules.contains { $0.suppresses(message) }
        }
        let shown = messages.filter { $0.type.level >= shownLevel }
        switch format {
        case .log: print(AnalyzeOutput.log(shown, namespace: allNamespaces ? nil : namespace))
        case .json: print(AnalyzeOutput.json(shown))
        case .yaml: print(AnalyzeOutput.yaml(shown))
        }
        if messages.contains(where: { $0.type.level >= failLevel }) { throw ExitCode(79) }
    }
}

/// The control plane's resources with local files layered on top, as istioctl combines a live
/// cluster with files: a file's resource replaces the stored one with the same kind, namespace and name.
enum ClusterLayering {
    static func input(loader: AnalysisInputLoader, client: ControlPlaneClient, localFiles: [InputFiles.Input]) async throws -> AnalysisInput {
        let reply = try await client.send("GET", "/api/v1/resources")
        guard reply.status == 200 else { throw ControlPlaneClient.Unreachable(description: "the control plane answered \(reply.status)") }
        var byKey: [ResourceKey: (any APIResource, SourceLocation?)] = [:]
        var order: [ResourceKey] = []
        func add(_ resource: any APIResource, _ source: SourceLocation?) {
            var resource = resource
            if resource.resourceType.namespaced && resource.metadata.namespace == nil { resource.metadata.namespace = loader.defaultNamespace }
            let key = ResourceKey(resource)
            if byKey[key] == nil { order.append(key) }
            byKey[key] = (resource, source)
        }
        for item in reply.object["items"] as? [[String: Any]] ?? [] {
            guard let object = item["object"], let data = try? JSONSerialization.data(withJSONObject: object),
                  let resource = ConfigLoader.load(text: String(decoding: data, as: UTF8.self), file: "control-plane").first?.resource else { continue }
            add(resource, SourceLocation(file: "control-plane", document: 0, line: 0))
        }
        var local = try loader.load([])
        for file in localFiles {
            for report in ConfigLoader.load(text: file.text, file: file.name) {
                if let resource = report.resource { add(resource, report.source) } else if !report.errors.isEmpty { local.loadReports.append(report) }
            }
        }
        var input = loader.input(from: order.compactMap { byKey[$0] })
        input.loadReports += local.loadReports
        let fetches = try await client.send("GET", "/api/v1/jwks")
        if fetches.status == 200, let list = fetches.object["jwks"], let data = try? JSONSerialization.data(withJSONObject: list) {
            input.keySetFetches = (try? JSONDecoder().decode([JWKSStatuses.Status].self, from: data)) ?? []
        }
        return input
    }
}

/// `CODE=Kind name.namespace`, the resource part allowing `*`.
struct SuppressionRule {
    var code: String
    var resource: String

    init?(_ text: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, parts[0].hasPrefix("IST") || parts[0].hasPrefix("WFT"), !parts[1].isEmpty else { return nil }
        code = parts[0]
        resource = parts[1]
    }

    func suppresses(_ message: AnalysisMessage) -> Bool {
        guard message.type.code == code else { return false }
        let ref = message.resource
        let name = ref.namespace.isEmpty ? "\(ref.kind) \(ref.name)" : "\(ref.kind) \(ref.name).\(ref.namespace)"
        return Self.glob(resource, matches: name)
    }

    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return pattern == text }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last ?? "")
    }
}

/// The three output formats of `weft analyze` and the analyzer list.
enum AnalyzeOutput {
    static func log(_ messages: [AnalysisMessage], namespace: String?) -> String {
        if messages.isEmpty {
            return "✔ No validation issues found when analyzing \(namespace.map { "namespace: \($0)" } ?? "all namespaces")."
        }
        return messages.map(\.logLine).joined(separator: "\n")
    }

    static func objects(_ messages: [AnalysisMessage]) -> [[String: Any]] {
        messages.map { message in
            let ref = message.resource
            let origin = ref.namespace.isEmpty ? "\(ref.kind) \(ref.name)" : "\(ref.kind) \(ref.name).\(ref.namespace)"
            var object: [String: Any] = [
                "code": message.type.code, "level": message.type.level.rawValue, "message": message.text, "origin": origin,
            ]
            if message.type.code.hasPrefix("IST") { object["documentationUrl"] = "https://istio.io/latest/docs/reference/config/analysis/\(message.type.code.lowercased())/" }
            if let file = ref.file { object["reference"] = "\(origin) \(file):\(message.line)" }
            return object
        }
    }

    static func json(_ messages: [AnalysisMessage]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: objects(messages), options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func yaml(_ messages: [AnalysisMessage]) -> String {
        if messages.isEmpty { return "[]" }
        return objects(messages).map { object in
            object.keys.sorted().enumerated().map { index, key in
                let value = "\(object[key] ?? "")".replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                return (index == 0 ? "- " : "  ") + "\(key): \"\(value)\""
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    static func analyzerList() -> String {
        var lines = ["Available analyzers:"]
        for analyzer in Analyzers.all { lines.append("* \(analyzer.name): \(analyzer.summary)") }
        lines.append("")
        lines.append("Skipped (no meaning for processes on hosts):")
        for skipped in Analyzers.skipped { lines.append("* \(skipped.name): \(skipped.reason)") }
        return lines.joined(separator: "\n")
    }
}
