import ArgumentParser
import Foundation
import WeftAPI

/// `weft validate`: checks resources the way the control plane will, without applying them.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check Istio and Kubernetes resources: schema, Istio's validation rules, and support by Weft.",
        discussion: "Prints a line per resource. Exit status: 0 when every resource is valid, 1 when any is invalid, 2 on a usage or I/O error."
    )

    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A file, a directory, or - for standard input. Repeatable.")
    var files: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: text or json.")
    var format: Format = .text

    @Flag(name: .customLong("quiet"), help: "Print only resources with errors or warnings.")
    var quiet = false

    mutating func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one -f PATH (a file, a directory, or - for standard input)") }
    }

    mutating func run() throws {
        let inputs: [InputFiles.Input]
        do {
            inputs = try InputFiles.read(files)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        let reports = inputs.flatMap { ConfigLoader.load(text: $0.text, file: $0.name) }
        switch format {
        case .text: print(ValidationOutput.text(reports, quiet: quiet), terminator: "")
        case .json: print(ValidationOutput.json(reports))
        }
        if reports.contains(where: { !$0.isValid }) { throw ExitCode(1) }
    }
}

/// How `weft validate` prints its reports.
enum ValidationOutput {
    static func text(_ reports: [ResourceReport], quiet: Bool) -> String {
        var out = ""
        for report in reports {
            let status = report.isValid ? (report.warnings.isEmpty ? "ok" : "ok (with warnings)") : "INVALID"
            if quiet && report.issues.isEmpty { continue }
            out += "\(report.source.file):\(report.source.line): \(report.displayName): \(status)\n"
            for issue in report.errors + report.warnings {
                let line = issue.line > 0 ? issue.line : report.source.line
                out += "  \(report.source.file):\(line): \(issue.severity.rawValue): \(issue.path): \(issue.message)\n"
            }
        }
        let invalid = reports.filter { !$0.isValid }.count
        out += "\(reports.count) resources: \(reports.count - invalid) valid, \(invalid) invalid\n"
        return out
    }

    static func json(_ reports: [ResourceReport]) -> String {
        let objects: [[String: Any]] = reports.map { report in
            func issues(_ list: [Issue]) -> [[String: Any]] {
                list.map { ["path": $0.path.description, "line": $0.line > 0 ? $0.line : report.source.line, "message": $0.message] }
            }
            var object: [String: Any] = [
                "file": report.source.file, "document": report.source.document, "line": report.source.line,
                "valid": report.isValid, "errors": issues(report.errors), "warnings": issues(report.warnings),
            ]
            object["apiVersion"] = report.apiVersion
            object["kind"] = report.kind
            object["namespace"] = report.namespace
            object["name"] = report.name
            object["item"] = report.source.item
            return object
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
