import Logging
import WeftAPI

/// The Ingest stage: validates every change before it is stored, stores it atomically, and
/// publishes the next immutable `MeshSnapshot`.
public actor ConfigIngest {
    /// One resource's fate in an apply.
    public struct Change: Sendable {
        /// What happened to it, as kubectl words it.
        public enum Action: String, Sendable { case created, configured, unchanged, deleted }
        public var key: ResourceKey
        public var action: Action
        public var resourceVersion: Int64
        public var warnings: [Issue]
    }

    /// The result of an apply or delete.
    public enum Outcome: Sendable {
        case applied(revision: Int64, changes: [Change])
        /// Nothing was stored: the reports say why (every invalid document).
        case rejected([ResourceReport])
        /// A delete named resources that do not exist; nothing was deleted.
        case notFound([ResourceKey])
        case storeFailed(String)
    }

    private let store: any ConfigStore
    public private(set) var snapshot: MeshSnapshot
    private var subscribers: [Int: AsyncStream<MeshSnapshot>.Continuation] = [:]
    /// The changes of recent revisions, oldest first, for watches; a watch from before the oldest must list again.
    private var history: [(revision: Int64, changes: [Change])] = []
    static let historyLimit = 1000
    private var nextSubscriber = 0

    /// Opens the store and builds the first snapshot from what it holds. An entry this build
    /// cannot decode is logged (key and reason), listed as unreadable, and written back on every
    /// save: a restart never drops stored data.
    public init(store: any ConfigStore, logger: Logger = Logger(label: "weft.ingest")) async throws {
        self.store = store
        let contents = try await store.load()
        var resources: [ResourceKey: StoredResource] = [:]
        var unreadable: [ResourceKey: UnreadableResource] = [:]
        for (index, entry) in contents.entries.enumerated() {
            switch CanonicalJSON.decode(entry.json, source: "store") {
            case .success(let resource):
                let stored = try StoredResource(resource: resource, resourceVersion: entry.resourceVersion)
                resources[stored.key] = stored
            case .failure(let failure):
                let entry = UnreadableResource(entry: entry, index: index, reason: failure.reason)
                logger.error("stored resource cannot be read by this build; kept on disk, not served",
                             metadata: ["resource": "\(entry.key)", "reason": "\(entry.reason)"])
                unreadable[entry.key] = entry
            }
        }
        self.snapshot = MeshSnapshot(revision: contents.revision, resources: resources, unreadable: unreadable)
    }

    /// Validates every document; stores all of them in one revision, or none when any is invalid.
    /// `namespace` (kubectl's `apply -n`) is given to namespaced resources that name none.
    public func apply(_ documents: [(file: String, text: String)], namespace: String? = nil) async -> Outcome {
        let reports = documents.flatMap { ConfigLoader.load(text: $0.text, file: $0.file) }
        let invalid = reports.filter { !$0.isValid }
        guard invalid.isEmpty else { return .rejected(invalid) }
        let revision = snapshot.revision + 1
        var resources = snapshot.resources
        var unreadable = snapshot.unreadable
        var changes: [Change] = []
        do {
            for report in reports {
                guard var resource = report.resource else { continue }
                if resource.resourceType.namespaced {
                    if resource.metadata.namespace == nil, let namespace { resource.metadata.namespace = namespace }
                    resource.metadata.namespace = resource.namespace
                }
                resource.metadata.resourceVersion = nil
                let candidate = try StoredResource(resource: resource, resourceVersion: revision)
                let previous = resources[candidate.key]
                if let previous, previous.json == candidate.json {
                    changes.removeAll { $0.key == candidate.key }
                    changes.append(Change(key: candidate.key, action: .unchanged, resourceVersion: previous.resourceVersion, warnings: report.warnings))
                    continue
                }
                resources[candidate.key] = candidate
                unreadable[candidate.key] = nil
                changes.removeAll { $0.key == candidate.key }
                changes.append(Change(key: candidate.key, action: previous == nil ? .created : .configured, resourceVersion: revision, warnings: report.warnings))
            }
        } catch {
            return .storeFailed("cannot encode resource: \(error)")
        }
        guard changes.contains(where: { $0.action != .unchanged }) else {
            return .applied(revision: snapshot.revision, changes: changes)
        }
        return await commit(revision: revision, resources: resources, unreadable: unreadable, changes: changes)
    }

    /// Deletes the named resources in one revision; when any is missing, nothing is deleted.
    public func delete(_ keys: [ResourceKey]) async -> Outcome {
        let missing = keys.filter { snapshot.resources[$0] == nil && snapshot.unreadable[$0] == nil }
        guard missing.isEmpty else { return .notFound(missing) }
        var resources = snapshot.resources
        var unreadable = snapshot.unreadable
        for key in keys {
            resources[key] = nil
            unreadable[key] = nil
        }
        let revision = snapshot.revision + 1
        let changes = keys.map { Change(key: $0, action: .deleted, resourceVersion: revision, warnings: []) }
        return await commit(revision: revision, resources: resources, unreadable: unreadable, changes: changes)
    }

    private func commit(revision: Int64, resources: [ResourceKey: StoredResource], unreadable: [ResourceKey: UnreadableResource], changes: [Change]) async -> Outcome {
        let next = MeshSnapshot(revision: revision, resources: resources, unreadable: unreadable)
        do {
            try await store.save(next.storeContents)
        } catch {
            return .storeFailed("\(error)")
        }
        snapshot = next
        history.append((revision, changes.filter { $0.action != .unchanged }))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        for subscriber in subscribers.values { subscriber.yield(next) }
        return .applied(revision: revision, changes: changes)
    }

    /// What changed after revision `since`, oldest first; nil when that is older than the history
    /// kept (or than this process's start), so the watcher must list again (Kubernetes' 410 Gone).
    public func changes(after since: Int64) -> [Change]? {
        if since >= snapshot.revision { return [] }
        guard let oldest = history.first?.revision, oldest <= since + 1 else { return nil }
        return history.filter { $0.revision > since }.flatMap(\.changes)
    }

    /// The current snapshot, then each new one. Slow readers see only the newest.
    public func snapshots() -> AsyncStream<MeshSnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: MeshSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.yield(snapshot)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    private func unsubscribe(_ id: Int) { subscribers[id] = nil }

    public func finishSubscribers() {
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers = [:]
    }
}
