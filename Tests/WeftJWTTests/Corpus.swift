import Foundation

/// `../shared/istio-corpus` beside the package, read in place.
enum Corpus {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/istio-corpus")

    static var isPresent: Bool { FileManager.default.fileExists(atPath: root.path) }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// `tests/common/jwt/tokens.tsv`: name, token, signature_valid_against_jwks, header, payload.
    static func e2eTokens() throws -> [(name: String, token: String, payload: String)] {
        try text("tests/common/jwt/tokens.tsv").split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return (fields[0], fields[1], fields.count > 4 ? fields[4] : "")
        }
    }
}
