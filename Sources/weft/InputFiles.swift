import Foundation

/// Reads the `-f` arguments: files, directories (their .yaml/.yml/.json files, recursively,
/// in name order) and `-` for standard input.
struct InputFiles {
    /// One text to load, with the name errors should use for it.
    struct Input {
        var name: String
        var text: String
    }

    /// Why an input could not be read (exit code 2).
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    static let extensions: Set<String> = ["yaml", "yml", "json"]

    static func read(_ paths: [String]) throws(ReadError) -> [Input] {
        var inputs: [Input] = []
        for path in paths {
            if path == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                guard let text = String(data: data, encoding: .utf8) else { throw ReadError(description: "standard input is not UTF-8 text") }
                inputs.append(Input(name: "<stdin>", text: text))
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReadError(description: "\(path): no such file or directory")
            }
            if isDirectory.boolValue {
                for file in try files(under: path) { inputs.append(try readFile(file)) }
            } else {
                inputs.append(try readFile(path))
            }
        }
        return inputs
    }

    private static func files(under directory: String) throws(ReadError) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw ReadError(description: "\(directory): cannot list directory")
        }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let ext = (relative as NSString).pathExtension.lowercased()
            if extensions.contains(ext) { found.append((directory as NSString).appendingPathComponent(relative)) }
        }
        return found.sorted()
    }

    private static func readFile(_ path: String) throws(ReadError) -> Input {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(description: "\(path): cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(description: "\(path): not UTF-8 text")
        }
        return Input(name: path, text: text)
    }
}
