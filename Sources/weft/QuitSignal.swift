import NIOConcurrencyHelpers
import ServiceLifecycle

/// A one-shot "stop now" flag (`POST /quitquitquit`, the app exiting) that a service waits on.
final class QuitSignal: Sendable {
    private let state = NIOLockedValueBox<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLockedValue { state -> Bool in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}

/// Ends (and so shuts the group down gracefully) when the quit signal fires or `extra` returns.
struct QuitWatcher: Service {
    let signal: QuitSignal
    let extra: (@Sendable () async -> Void)?

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            if let extra { group.addTask { await extra() } }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}
