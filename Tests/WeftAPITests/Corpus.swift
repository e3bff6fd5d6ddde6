import Foundation

/// Locates `../shared/istio-corpus` beside the package, where tests read it in place.
enum Corpus {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/istio-corpus")

    static var isPresent: Bool { FileManager.default.fileExists(atPath: root.path) }

    /// Every .yaml/.yml/.json file under the given corpus folders, sorted.
    static func yamlFiles(under folders: [String]) -> [URL] {
        var files: [URL] = []
        for folder in folders {
            let base = root.appendingPathComponent(folder)
            guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in enumerator where ["yaml", "yml", "json"].contains(url.pathExtension) {
                files.append(url)
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    static func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }
}
