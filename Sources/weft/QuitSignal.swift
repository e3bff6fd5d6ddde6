import NIOConcurrencyHelpers
import ServiceLifecycle

/// A one-shot "stop now" flag (`POST /quitquitquit`, the app exiting) that a service waits on.
final class QuitSignal: Sendable {
    private let state = NIOLockedValueBox<(fired: Bool, callbacks: [@Sendable () -> Void])>((false, []))

    func fire() {
        let callbacks = state.withLockedValue { state -> [@Sendable () -> Void] in
            state.fired = true
            defer { state.callbacks = [] }
            return state.callbacks
        }
        for callback in callbacks { callback() }
    }

    /// Calls `callback` once the signal fires (at once if it already has).
    func onFire(_ callback: @escaping @Sendable () -> Void) {
        let fired = state.withLockedValue { state -> Bool in
            if !state.fired { state.callbacks.append(callback) }
            return state.fired
        }
        if fired { callback() }
    }
}

/// Ends (and so shuts the group down gracefully) when the quit signal fires or `extra` returns;
/// ends at once when the group shuts down for another reason. Every wait here is cancellable.
struct QuitWatcher: Service {
    let signal: QuitSignal
    let extra: (@Sendable () async -> Void)?

    func run() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        signal.onFire { continuation.yield() }
        let extraTask = extra.map { extra in Task { await extra(); continuation.yield() } }
        await cancelWhenGracefulShutdown {
            for await _ in stream { break }
        }
        extraTask?.cancel()
        continuation.finish()
    }
}
