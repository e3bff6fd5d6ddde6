import Foundation
import WeftAPI

/// Where the control plane keeps resources. The embedded default is a file under the data
/// directory; a distributed store (etcd) implements the same contract for several replicas.
public protocol ConfigStore: Sendable {
    /// Everything stored, and the last revision.
    func load() async throws -> StoreContents
    /// Replaces the stored contents in one atomic step: all of `contents` or none of it.
    func save(_ contents: StoreContents) async throws
}

/// The persisted form: revision and each resource's canonical JSON with its version.
public struct StoreContents: Codable, Sendable {
    /// One persisted resource.
    public struct Entry: Codable, Sendable {
        public var resourceVersion: Int64
        public var json: String
    }
    public var revision: Int64
    public var entries: [Entry]

    public init(revision: Int64 = 0, entries: [Entry] = []) {
        self.revision = revision
        self.entries = entries
    }
}

/// The embedded store: one JSON file, replaced atomically (write, fsync, rename) on each change.
public struct FileConfigStore: ConfigStore {
    public let directory: URL
    var file: URL { directory.appendingPathComponent("config.json") }

    public init(directory: URL) {
        self.directory = directory
    }

    public func load() async throws -> StoreContents {
        guard FileManager.default.fileExists(atPath: file.path) else { return StoreContents() }
        let data = try Data(contentsOf: file)
        return try JSONDecoder().decode(StoreContents.self, from: data)
    }

    public func save(_ contents: StoreContents) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(contents)
        let temporary = directory.appendingPathComponent("config.json.tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
            throw StoreError(description: "cannot write \(temporary.path)")
        }
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.synchronize()
        try handle.close()
        if rename(temporary.path, file.path) != 0 {
            throw StoreError(description: "cannot replace \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}

/// A store failure; the change that caused it is not applied.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A store that lives only in memory, for simulation tests and `weft demo`'s throwaway runs.
public actor MemoryConfigStore: ConfigStore {
    private var contents = StoreContents()
    public init() {}
    public func load() async throws -> StoreContents { contents }
    public func save(_ contents: StoreContents) async throws { self.contents = contents }
}
