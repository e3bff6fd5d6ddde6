import Foundation
import ServiceLifecycle
import WeftAPI
import WeftHTTPServer

/// The config API's watch, as a long poll: the changes after a revision, returned as soon as there
/// are any (or empty at the timeout), each as Kubernetes names a watch event.
struct ConfigWatch {
    let ingest: ConfigIngest
    /// Secrets are shown only to the administrator.
    var showsSecrets = true

    func handle(_ request: APIRequest) async -> APIResponse {
        let current = await ingest.snapshot.revision
        guard let since = request.query["since"].map({ Int64($0) }) ?? current else {
            return ConfigAPI.json(.badRequest, ["error": "since must be a revision number"])
        }
        let timeout = min(max(Double(request.query["timeout"] ?? "") ?? 30, 0), 300)
        if current <= since { await waitForRevision(after: since, timeout: timeout) }
        guard let changes = await ingest.changes(after: since) else {
            return ConfigAPI.json(.gone, ["error": "revision \(since) is older than the changes kept; list again", "revision": current])
        }
        var kind = request.query["kind"]
        if let name = kind, let type = ResourceRegistry.type(named: name) { kind = type.resourceType.kind }
        let namespace = request.query["namespace"].flatMap { $0.isEmpty ? nil : $0 }
        let snapshot = await ingest.snapshot
        let events: [[String: Any]] = changes
            .filter { change in (kind == nil || change.key.kind == kind) && (namespace == nil || change.key.namespace == namespace) }
            .filter { change in showsSecrets || change.key.kind != "Secret" }
            .map { change in
                var event: [String: Any] = ["type": Self.eventType(change.action), "kind": change.key.kind, "namespace": change.key.namespace,
                                            "name": change.key.name, "resourceVersion": change.resourceVersion]
                if let stored = snapshot.resources[change.key], stored.resourceVersion == change.resourceVersion,
                   let object = try? JSONSerialization.jsonObject(with: Data(stored.json.utf8)) {
                    event["object"] = object
                }
                return event
            }
        return ConfigAPI.json(.ok, ["revision": snapshot.revision, "events": events])
    }

    static func eventType(_ action: ConfigIngest.Change.Action) -> String {
        switch action {
        case .created: return "ADDED"
        case .configured, .unchanged: return "MODIFIED"
        case .deleted: return "DELETED"
        }
    }

    /// Returns once a revision after `since` is stored, after `timeout` seconds, or when the control
    /// plane shuts down (a pending watch must not hold the shutdown up).
    private func waitForRevision(after since: Int64, timeout: Double) async {
        let ingest = self.ingest
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await snapshot in await ingest.snapshots() where snapshot.revision > since { return }
            }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int(timeout * 1000))) }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}
