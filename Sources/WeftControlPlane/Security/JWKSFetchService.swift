import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import WeftAPI
import WeftHTTPServer
import WeftJWT

/// Fetches the key sets that RequestAuthentications name by `jwksUri`, as istiod does: each URI
/// when it first appears, then every refresh interval (Istio's `PILOT_JWT_PUB_KEY_REFRESH_INTERVAL`,
/// 20 m), sooner after a failure. Only a key set that parses with a usable key replaces the one
/// held; a failure (down, slow, too big, not JSON) keeps the last good one and is recorded for
/// `weft get`. Each change goes to the hub, which pushes it to the proxies whose rules name it.
public struct JWKSFetchService: ServiceLifecycle.Service {
    /// Settings of fetching.
    public struct Configuration: Sendable {
        public var refreshInterval: Duration = .seconds(20 * 60)
        /// How soon a URI whose fetch failed is tried again.
        public var retryInterval: Duration = .seconds(5)
        /// A fetch slower than this fails (RequestAuthentication `timeout` overrides it per rule).
        public var timeout: Duration = .seconds(5)
        /// A larger answer fails.
        public var maxBytes = 512 * 1024
        /// Addresses never fetched from (`BLOCKED_CIDRS_IN_JWKS_URIS`, beside link-local and metadata).
        public var addresses: JWKSAddressPolicy = .linkLocalOnly
        public init() {}
    }

    let ingest: ConfigIngest
    let hub: ProxyHub
    let statuses: JWKSStatuses
    let configuration: Configuration
    let logger: Logger

    public init(ingest: ConfigIngest, hub: ProxyHub, statuses: JWKSStatuses, configuration: Configuration = .init(), logger: Logger) {
        self.ingest = ingest
        self.hub = hub
        self.statuses = statuses
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        // Shutdown cancels the wait; that is the way out, not a failure of the service.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let revision = await fetchDue()
                await nextCheck(after: revision)
            }
        }
    }

    /// Returns at the next config revision, so a new RequestAuthentication's keys are fetched at
    /// once, or after a second, when refreshes and retries come due by the clock. It polled every
    /// 200 ms: each poll woke a timer thread and a task thread on cores the proxies share, and each
    /// such wake-up can leave the proxies' loops on one core for a while.
    private func nextCheck(after revision: Int64) async {
        let ingest = self.ingest
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await snapshot in await ingest.snapshots() where snapshot.revision > revision { return } }
            group.addTask { try? await Task.sleep(for: .seconds(1)) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Fetches every URI that is new, due for refresh, or due for a retry, then publishes the good
    /// sets; returns the config revision it read.
    @discardableResult
    func fetchDue() async -> Int64 {
        let snapshot = await ingest.snapshot
        let index = snapshot.index
        let wanted = Self.timeouts(index, default: configuration.timeout)
        await statuses.retain(Set(wanted.keys))
        let now = ContinuousClock.now
        let due = await statuses.due(Array(wanted.keys), now: now, refresh: configuration.refreshInterval, retry: configuration.retryInterval)
        guard !due.isEmpty else { return snapshot.revision }
        await withTaskGroup(of: Void.self) { group in
            for uri in due {
                group.addTask {
                    let outcome = await fetch(uri, timeout: wanted[uri] ?? configuration.timeout)
                    switch outcome {
                    case .success(let (json, keyCount)):
                        await statuses.succeeded(uri, json: json, keys: keyCount, at: ContinuousClock.now)
                        logger.debug("jwks fetched", metadata: ["uri": "\(uri)", "keys": "\(keyCount)"])
                    case .failure(let reason):
                        await statuses.failed(uri, reason: reason.message, at: ContinuousClock.now)
                        logger.warning("jwks fetch failed; the last good key set stays", metadata: ["uri": "\(uri)", "reason": "\(reason.message)"])
                    }
                }
            }
        }
        await hub.updateJWKS(await statuses.goodKeySets())
        return snapshot.revision
    }

    /// One fetch: an http(s) GET, a 200, and a body that is a usable key set.
    func fetch(_ uri: String, timeout: Duration) async -> Result<(String, Int), JWKSError> {
        guard let target = JWKSTarget(uri) else { return .failure(JWKSError("jwksUri \(uri) is not an http(s) URL")) }
        let client: HTTPClient
        if target.secure {
            do {
                client = HTTPClient(tls: try NIOSSLContext(configuration: .makeClientConfiguration()), maxResponseBytes: configuration.maxBytes)
            } catch { return .failure(JWKSError("no TLS context for \(uri): \(error)")) }
        } else {
            client = HTTPClient(maxResponseBytes: configuration.maxBytes)
        }
        let addresses: [String]
        do { addresses = try await JWKSAddressPolicy.resolve(target.host) } catch { return .failure(JWKSError("\(error)")) }
        // Every address the name has is checked, not only the one dialled: a name that can point inside is refused.
        if let refusal = addresses.lazy.compactMap(configuration.addresses.refusal).first {
            return .failure(JWKSError("jwksUri \(uri) not fetched: \(target.host) resolves to \(refusal)"))
        }
        guard let address = addresses.first else { return .failure(JWKSError("\(target.host) resolves to no address")) }
        let response: HTTPClient.Response
        do {
            response = try await client.send(host: target.host, port: target.port, path: target.path, headers: [("accept", "application/json")],
                                             timeout: timeout, address: address)
        } catch { return .failure(JWKSError("\(error)")) }
        guard response.status == 200 else { return .failure(JWKSError("\(uri) answered \(response.status)")) }
        let json = String(decoding: response.body, as: UTF8.self)
        do throws(JWKSError) {
            let set = try JSONWebKeySet(json: json)
            return .success((json, set.keys.count))
        } catch { return .failure(error) }
    }

    /// Each remote URI and the shortest fetch timeout its rules ask for.
    static func timeouts(_ index: ConfigIndex, default fallback: Duration) -> [String: Duration] {
        var result: [String: Duration] = [:]
        for policy in index.requestAuthentications {
            for rule in policy.spec.jwtRules ?? [] where rule.jwks == nil {
                guard let uri = rule.jwksUri, !uri.isEmpty else { continue }
                let timeout = rule.timeout.map { Duration.nanoseconds($0.nanoseconds) } ?? fallback
                result[uri] = min(result[uri] ?? timeout, timeout)
            }
        }
        return result
    }
}

/// Where a `jwksUri` points.
struct JWKSTarget {
    var secure: Bool
    var host: String
    var port: Int
    var path: String

    init?(_ uri: String) {
        let lower = uri.lowercased()
        if lower.hasPrefix("https://") { secure = true } else if lower.hasPrefix("http://") { secure = false } else { return nil }
        let rest = uri.dropFirst(secure ? 8 : 7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        path = rest.dropFirst(authority.count).isEmpty ? "/" : String(rest.dropFirst(authority.count))
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
    }
}
