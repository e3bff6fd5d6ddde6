import WeftHTTPServer
import Foundation
import NIOHTTP1
import WeftAPI
import WeftModel
import WeftTelemetry

/// The control plane's config API (on 15014): apply, get, delete and analysis results, in JSON.
///
/// - `POST /api/v1/apply[?namespace=NS]` — body `{"documents":[{"file","text"}]}` or raw YAML/JSON;
///   all-or-nothing; NS is given to namespaced resources that name none (`kubectl apply -n`).
/// - `GET /api/v1/resources?kind=&namespace=&name=` — stored resources with their analysis messages
///   (an entry this build cannot decode comes with `error`).
/// - `DELETE /api/v1/resources?kind=&namespace=&name=` and `POST /api/v1/delete` (documents as in apply).
/// - `GET /api/v1/watch?since=REV&kind=&namespace=&timeout=SECONDS` — the changes after revision REV
///   (ADDED, MODIFIED, DELETED), waiting up to the timeout (default 30 s) for one; 410 when REV is
///   older than the history kept (list again).
/// - `GET /api/v1/analysis` — every analyzer message for the current revision.
/// - `GET /api/v1/proxy-bootstrap?namespace=&labels=k=v,...&annotation=` — what a workload's proxy
///   starts with (`concurrency`), as Istio's injector resolves it; `annotation` is the pod's
///   `proxy.istio.io/config`.
/// - `GET /api/v1/tls-check?proxy=ID[&service=HOST]` — `weft authn tls-check`'s rows.
/// - `GET /api/v1/authz-check?proxy=ID[&method=&path=&from=&host=&port=&headers=&jwt=]` — `weft x authz check`.
/// - `POST /api/v1/tokens` — `{"namespace","serviceAccount","ttl"}` → a workload credential.
/// Writes, tokens and Secrets need the administrator's credential (see +Authorization).
/// - `GET /api/v1/prometheus/targets` — Prometheus HTTP service discovery: every proxy's `:15020/stats/prometheus`.
/// - `GET /api/v1/certificates` — the CA's certificate requests by outcome (`csr_signed`, `csr_refused.identity`, ...).
/// - `GET /metrics` — istiod's metrics: `pilot_xds`, `pilot_xds_pushes`, `pilot_total_xds_rejects`,
///   `pilot_proxy_convergence_time`, resources by kind, validation counts.
/// - `/api/v2/...` — the built-in Zipkin collector and query API (see ZipkinCollectorAPI).
/// - `GET /healthz/ready`.
public struct ConfigAPI: Sendable {
    let ingest: ConfigIngest
    let analysis: AnalysisResults
    let hub: ProxyHub
    /// The remote key sets of RequestAuthentications, as fetched.
    let jwks: JWKSStatuses?
    /// The CA whose roots are published as `istio-ca-root-cert` in every namespace.
    let certificateAuthority: CurrentCertificateAuthority?
    let certificateCounters: CertificateCounters?
    /// Checks credentials (see +Authorization); nil serves everyone (tests of one endpoint).
    let credentials: MeshCredentials?
    /// The built-in Zipkin collector under `/api/v2/`.
    public let collector: ZipkinCollectorAPI

    public init(ingest: ConfigIngest, analysis: AnalysisResults, hub: ProxyHub, certificateAuthority: CurrentCertificateAuthority? = nil, certificateCounters: CertificateCounters? = nil,
                credentials: MeshCredentials? = nil, jwks: JWKSStatuses? = nil, collector: ZipkinCollectorAPI = ZipkinCollectorAPI(store: ZipkinSpanStore())) {
        self.jwks = jwks
        self.collector = collector
        self.credentials = credentials
        self.ingest = ingest
        self.analysis = analysis
        self.hub = hub
        self.certificateCounters = certificateCounters
        self.certificateAuthority = certificateAuthority
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        if let refusal = authorize(request) { return refusal }
        if ZipkinCollectorAPI.serves(request.path) { return await collector.handle(request) }
        switch (request.method, request.path) {
        case (.POST, "/api/v1/tokens"): return issueToken(request)
        case (.GET, "/healthz/ready"): return .text(.ok, "ok\n")
        case (.GET, "/metrics"): return APIResponse(status: .ok, contentType: "text/plain; version=0.0.4", body: Array(await hub.prometheusText().utf8))
        case (.POST, "/api/v1/apply"): return await apply(request)
        case (.GET, "/api/v1/resources"): return await list(request)
        case (.DELETE, "/api/v1/resources"): return await deleteByName(request)
        case (.POST, "/api/v1/delete"): return await deleteDocuments(request)
        case (.GET, "/api/v1/analysis"): return await analysisReport()
        case (.GET, "/api/v1/watch"): return await ConfigWatch(ingest: ingest, showsSecrets: isAdministrator(request)).handle(request)
        case (.GET, "/api/v1/proxies"): return await proxies()
        case (.GET, "/api/v1/proxy-bootstrap"): return await proxyBootstrap(request)
        case (.GET, "/api/v1/prometheus/targets"): return Self.json(.ok, PrometheusTargets.groups(await hub.statuses()))
        case (.GET, "/api/v1/proxy-config"): return await proxyConfig(request.query["proxy"] ?? "")
        case (.GET, "/api/v1/authz-check"): return await authorizationCheck(request)
        case (.GET, "/api/v1/tls-check"): return await tlsCheck(request.query["proxy"] ?? "", service: request.query["service"])
        case (.GET, "/api/v1/jwks"): return await jwksReport()
        case (.GET, "/api/v1/certificates"): return Self.json(.ok, ["requests": certificateCounters?.all ?? [:]])
        default: return Self.json(.notFound, ["error": "no such endpoint: \(request.method) \(request.path)"])
        }
    }

    static func json(_ status: HTTPResponseStatus, _ object: Any) -> APIResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return APIResponse(status: status, body: Array(data))
    }

    /// The documents of an apply or delete body: a JSON envelope naming files, or raw YAML/JSON.
    static func documents(_ request: APIRequest) -> [(file: String, text: String)] {
        if let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
           let list = object["documents"] as? [[String: Any]] {
            return list.map { (file: $0["file"] as? String ?? "request", text: $0["text"] as? String ?? "") }
        }
        return [(file: "request", text: request.bodyText)]
    }

    private func apply(_ request: APIRequest) async -> APIResponse {
        let namespace = request.query["namespace"].flatMap { $0.isEmpty ? nil : $0 }
        switch await ingest.apply(Self.documents(request), namespace: namespace) {
        case .applied(let revision, let changes):
            await hub.validated(passed: changes.count, failed: 0)
            return Self.json(.ok, ["revision": revision, "results": changes.map(Self.object)])
        case .rejected(let reports):
            await hub.validated(passed: 0, failed: reports.count)
            return Self.json(.unprocessableEntity, ["error": "nothing was applied: \(reports.count) invalid document(s)", "reports": reports.map(Self.object)])
        case .notFound(let keys):
            return Self.json(.notFound, ["error": "not found", "missing": keys.map(\.description)])
        case .storeFailed(let reason):
            return Self.json(.internalServerError, ["error": "nothing was applied: the store failed: \(reason)"])
        }
    }

    private func list(_ request: APIRequest) async -> APIResponse {
        let snapshot = await ingest.snapshot
        if request.query["waitForAnalysis"] == "true" { _ = await analysis.waitFor(revision: snapshot.revision) }
        var kind = request.query["kind"]
        if let name = kind, let type = ResourceRegistry.type(named: name) { kind = type.resourceType.kind }
        let namespace = request.query["namespace"].flatMap { $0.isEmpty ? nil : $0 }
        var items = snapshot.list(kind: kind, namespace: namespace, name: request.query["name"])
        if !isAdministrator(request) { items.removeAll { $0.key.kind == "Secret" } }
        var objects: [[String: Any]] = []
        // Read once for the listing, not once per RequestAuthentication in it.
        let keySetFetches = items.contains { $0.key.kind == "RequestAuthentication" } ? await jwks?.statuses() ?? [] : []
        for stored in items {
            var item: [String: Any] = ["resourceVersion": stored.resourceVersion, "key": stored.key.description]
            if var object = (try? JSONSerialization.jsonObject(with: Data(stored.json.utf8))) as? [String: Any] {
                var metadata = object["metadata"] as? [String: Any] ?? [:]
                metadata["resourceVersion"] = String(stored.resourceVersion)
                object["metadata"] = metadata
                item["object"] = object
            }
            var messages = await analysis.messages(for: stored.key)
            if stored.key.kind == "RequestAuthentication", jwks != nil,
               let authn = try? JSONDecoder().decode(RequestAuthentication.self, from: Data(stored.json.utf8)) {
                let named = Set((authn.spec.jwtRules ?? []).compactMap(\.jwksUri))
                let fetches = keySetFetches.filter { named.contains($0.uri) }
                item["jwks"] = fetches.map(Self.object)
                let ref = ResourceRef(kind: stored.key.kind, namespace: stored.key.namespace, name: stored.key.name, file: nil)
                messages += JWKSFetchAnalyzer.messages(for: authn, ref, fetches)
            }
            item["analysis"] = messages.map(Self.object)
            objects.append(item)
        }
        let publishedRoot = (try? certificateAuthority?.ca.rootBundlePEM).map(PublishedRootCertificate.init(bundlePEM:))
        objects += publishedRoot?.items(in: snapshot, kind: kind, namespace: namespace, name: request.query["name"]) ?? []
        // Stored but unreadable by this build: listed with the reason, never silently absent.
        for entry in snapshot.listUnreadable(kind: kind, namespace: namespace, name: request.query["name"]) {
            var item: [String: Any] = ["resourceVersion": entry.resourceVersion, "key": entry.key.description,
                                       "error": "stored, but this build cannot read it: \(entry.reason)"]
            item["object"] = (try? JSONSerialization.jsonObject(with: Data(entry.json.utf8))) ?? [:]
            objects.append(item)
        }
        return Self.json(.ok, ["revision": snapshot.revision, "analysisRevision": await analysis.revision, "items": objects])
    }

    private func deleteByName(_ request: APIRequest) async -> APIResponse {
        guard let kindName = request.query["kind"], let type = ResourceRegistry.type(named: kindName), let name = request.query["name"] else {
            return Self.json(.badRequest, ["error": "kind and name are required"])
        }
        let info = type.resourceType
        let key = ResourceKey(group: info.group, kind: info.kind, namespace: info.namespaced ? (request.query["namespace"] ?? "default") : "", name: name)
        return await delete([key])
    }

    private func deleteDocuments(_ request: APIRequest) async -> APIResponse {
        let reports = Self.documents(request).flatMap { ConfigLoader.load(text: $0.text, file: $0.file) }
        let undecodable = reports.filter { $0.resource == nil }
        guard undecodable.isEmpty else {
            return Self.json(.unprocessableEntity, ["error": "nothing was deleted: \(undecodable.count) document(s) could not be read", "reports": undecodable.map(Self.object)])
        }
        return await delete(reports.compactMap { $0.resource.map(ResourceKey.init) })
    }

    private func delete(_ keys: [ResourceKey]) async -> APIResponse {
        switch await ingest.delete(keys) {
        case .applied(let revision, let changes):
            return Self.json(.ok, ["revision": revision, "results": changes.map(Self.object)])
        case .notFound(let missing):
            return Self.json(.notFound, ["error": "nothing was deleted: not found: \(missing.map(\.description).joined(separator: ", "))", "missing": missing.map(\.description)])
        case .rejected(let reports):
            return Self.json(.unprocessableEntity, ["error": "nothing was deleted", "reports": reports.map(Self.object)])
        case .storeFailed(let reason):
            return Self.json(.internalServerError, ["error": "nothing was deleted: the store failed: \(reason)"])
        }
    }

    private func proxies() async -> APIResponse {
        let statuses = await hub.statuses()
        let data = (try? JSONEncoder().encode(statuses)) ?? Data("[]".utf8)
        let list = (try? JSONSerialization.jsonObject(with: data)) ?? []
        return Self.json(.ok, ["proxies": list])
    }

    private func proxyBootstrap(_ request: APIRequest) async -> APIResponse {
        var annotation: MeshProxyConfig?
        if let text = request.query["annotation"], !text.isEmpty {
            do {
                annotation = try MeshConfigDocument.decodeProxyConfig(text)
            } catch {
                return Self.json(.badRequest, ["error": "annotation \(MeshConfigDocument.proxyConfigAnnotation): \(error)"])
            }
        }
        var labels: [String: String] = [:]
        for pair in (request.query["labels"] ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { labels[String(parts[0])] = String(parts[1]) }
        }
        let snapshot = await ingest.snapshot
        let resources = snapshot.all.map(\.resource)
        let namespace = request.query["namespace"] ?? "default"
        // A proxy started without its pod's annotation (a gateway router) has its Deployment's, found by its labels.
        if annotation == nil {
            annotation = ProxyBootstrap.deploymentAnnotation(namespace: namespace, labels: labels, resources: resources)
        }
        let bootstrap = ProxyBootstrap.resolve(namespace: namespace, labels: labels, annotation: annotation, resources: resources)
        var reply: [String: Any] = ["concurrency": bootstrap.concurrency]
        if let topology = bootstrap.gatewayTopology {
            var fields: [String: Any] = [:]
            if let count = topology.numTrustedProxies { fields["numTrustedProxies"] = count }
            if let mode = topology.forwardClientCertDetails { fields["forwardClientCertDetails"] = mode }
            if topology.proxyProtocol != nil { fields["proxyProtocol"] = [String: Any]() }
            reply["gatewayTopology"] = fields
        }
        return Self.json(.ok, reply)
    }

    private func proxyConfig(_ proxy: String) async -> APIResponse {
        guard let configuration = await hub.configuration(of: proxy) else {
            return Self.json(.notFound, ["error": "no connected proxy \"\(proxy)\""])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(configuration)) ?? Data("{}".utf8)
        return Self.json(.ok, ["proxy": proxy, "configuration": (try? JSONSerialization.jsonObject(with: data)) ?? [:]])
    }

    /// `?proxy=ID[&method=&path=&from=ns/sa&host=&port=&headers=name:value\n…]`; the decision when `path` is given.
    private func authorizationCheck(_ request: APIRequest) async -> APIResponse {
        let proxy = request.query["proxy"] ?? ""
        guard let view = await hub.view(of: proxy) else { return Self.json(.notFound, ["error": "no connected proxy \"\(proxy)\""]) }
        let policies = AuthorizationTranslator.translate(view)
        var object: [String: Any] = ["proxy": proxy, "policies": AuthorizationCheck.describe(policies)]
        if request.query["path"] != nil {
            let headers = (request.query["headers"] ?? "").split(separator: "\n").compactMap { line -> (name: String, value: String)? in
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return parts.count == 2 ? (parts[0].lowercased(), parts[1]) : nil
            }
            var asked = AuthorizationCheck.request(query: request.query, headers: headers, trustDomain: view.trustDomain, defaultPort: view.proxy.ports.values.min())
            if let token = request.query["jwt"] {
                switch AuthorizationCheck.authenticate(token: token, rules: RequestAuthenticationTranslator.translate(view)) {
                case .success(let auth):
                    asked.auth = auth
                    asked.requestPrincipal = auth.principal
                    object["authentication"] = ["verified": true, "principal": auth.principal] as [String: Any]
                case .failure(let failure):
                    // The proxy answers 401 before any policy is read.
                    object["authentication"] = ["verified": false, "status": 401, "reason": failure.message] as [String: Any]
                    return Self.json(.ok, object)
                }
            }
            let (decision, shadow) = AuthorizationEngine.evaluate(policies, asked)
            var shown: [String: Any] = ["allowed": decision.allowed, "audited": decision.audited]
            if let policy = decision.policy { shown["policy"] = policy }
            if let rule = decision.rule { shown["rule"] = rule }
            if let shadow { shown["dryRun"] = ["allowed": shadow.allowed, "policy": shadow.policy ?? ""] as [String: Any] }
            object["decision"] = shown
        }
        return Self.json(.ok, object)
    }

    private func tlsCheck(_ proxy: String, service: String?) async -> APIResponse {
        guard let view = await hub.view(of: proxy) else { return Self.json(.notFound, ["error": "no connected proxy \"\(proxy)\""]) }
        let rows = TLSCheck.rows(view, service: service?.isEmpty == false ? service : nil)
        return Self.json(.ok, ["proxy": proxy, "rows": rows.map { ["host": $0.host, "port": $0.port, "status": $0.status, "server": $0.server, "client": $0.client, "policy": $0.policy] }])
    }

    private func analysisReport() async -> APIResponse {
        _ = await analysis.waitFor(revision: await ingest.snapshot.revision)
        let messages = await analysis.messages
        return Self.json(.ok, ["revision": await analysis.revision, "messages": messages.map(Self.object)])
    }

    static func object(_ change: ConfigIngest.Change) -> [String: Any] {
        [
            "kind": change.key.kind, "namespace": change.key.namespace, "name": change.key.name, "action": change.action.rawValue,
            "resourceVersion": change.resourceVersion, "warnings": change.warnings.map { ["path": $0.path.description, "message": $0.message] },
        ]
    }

    static func object(_ report: ResourceReport) -> [String: Any] {
        var object: [String: Any] = [
            "file": report.source.file, "document": report.source.document, "line": report.source.line, "resource": report.displayName,
            "errors": report.errors.map { ["path": $0.path.description, "line": $0.line > 0 ? $0.line : report.source.line, "message": $0.message] },
        ]
        object["kind"] = report.kind
        object["namespace"] = report.namespace
        object["name"] = report.name
        return object
    }

    static func object(_ message: AnalysisMessage) -> [String: Any] {
        [
            "code": message.type.code, "level": message.type.level.rawValue, "message": message.text,
            "kind": message.resource.kind, "namespace": message.resource.namespace, "name": message.resource.name,
        ]
    }

    /// Every remote key set: URI, keys held, age, last failure.
    private func jwksReport() async -> APIResponse {
        guard let jwks else { return Self.json(.ok, ["jwks": []]) }
        return Self.json(.ok, ["jwks": await jwks.statuses().map(Self.object)])
    }

    static func object(_ status: JWKSStatuses.Status) -> [String: Any] {
        var object: [String: Any] = ["uri": status.uri, "keys": status.keys, "failures": status.failures]
        if let age = status.fetchedSecondsAgo { object["fetchedSecondsAgo"] = (age * 10).rounded() / 10 }
        if let error = status.lastError { object["lastError"] = error }
        return object
    }

}
