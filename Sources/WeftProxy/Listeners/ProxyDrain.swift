import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import ServiceLifecycle

/// How a proxy's downstream connections end when it stops, as Envoy drains its listeners: each
/// listener stops accepting; an HTTP/2 connection gets GOAWAY (NO_ERROR) and closes once its streams
/// end; an HTTP/1.1 connection closes now if idle, else after the answer in flight (`Connection:
/// close`). What is still open when the drain time ends (a TCP splice, a long stream) goes with
/// the process. A listener a configuration removes drains the same way (`ConfiguredListeners`).
public final class ProxyDrain: Sendable {
    private let helpers = NIOLockedValueBox<[ObjectIdentifier: ServerQuiescingHelper]>([:])
    private let started = NIOLockedValueBox(false)

    /// Whether the proxy is draining (its listener sockets are closed or closing).
    var isDraining: Bool { started.withLockedValue { $0 } }

    public init() {}

    /// A new listener socket's helper: it collects the socket's connections, to be told to drain.
    func quiescing(_ group: any EventLoopGroup) -> ServerQuiescingHelper {
        let helper = ServerQuiescingHelper(group: group)
        helpers.withLockedValue { $0[ObjectIdentifier(helper)] = helper }
        return helper
    }

    /// Drains one listener (a configuration removed it), apart from the others.
    func drain(_ helper: ServerQuiescingHelper) {
        helpers.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(helper)) }
        helper.initiateShutdown(promise: nil)
    }

    /// Drains every listener at once; returns when all their connections have closed, or at `limit`.
    func drainAll(within limit: TimeAmount, on eventLoop: any EventLoop) async {
        started.withLockedValue { $0 = true }
        let all = helpers.withLockedValue { helpers in
            defer { helpers = [:] }
            return Array(helpers.values)
        }
        let done = eventLoop.makePromise(of: Void.self)
        let timer = eventLoop.scheduleTask(in: limit) { done.succeed() }
        let closed = all.map { helper in
            let promise = eventLoop.makePromise(of: Void.self)
            helper.initiateShutdown(promise: promise)
            return promise.futureResult
        }
        EventLoopFuture.andAllComplete(closed, on: eventLoop).whenComplete { _ in
            timer.cancel()
            done.succeed()
        }
        try? await done.futureResult.get()
    }
}

/// Waits for the proxy's graceful shutdown, then drains its listeners for up to `duration`
/// (Istio's `terminationDrainDuration`, 5 s). Listed after the listeners, so it runs first when
/// the group stops services in reverse order, and every listener drains at the same time.
struct ProxyDrainService: Service {
    let drain: ProxyDrain
    let duration: TimeAmount
    let eventLoop: any EventLoop

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }  // cancelled: no drain
        await drain.drainAll(within: duration, on: eventLoop)
    }
}
