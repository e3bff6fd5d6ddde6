import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGINT and SIGTERM kept for the process's signal queue, so a long-running process never misses
/// the one that stops it.
///
/// Why: on Linux, Dispatch (under `UnixSignalsSequence` and the service group) reads these signals
/// from a signalfd, which only sees a signal every thread blocks. Dispatch's own threads and NIO's
/// block them, the main thread does not; the kernel then delivers the signal to the main thread,
/// whose handler re-sends it to one particular thread that is not always the one reading the
/// signalfd, and the signal is lost (a SIGINT lost that way left `weft demo` running in CI).
/// So the main thread blocks them before any other thread starts (every thread inherits the
/// block) and waits for the program on a semaphore rather than in an async `main`, whose
/// `dispatch_main` waits in `sigsuspend` with every signal open. Children do not inherit the
/// block: Foundation's `Process` clears the signal mask of what it starts.
public enum StopSignals {
    /// Blocks SIGINT and SIGTERM in the calling thread: call it first thing in `main`.
    public static func holdForSignalQueue() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Runs `body` on Swift's thread pool while the calling (main) thread waits for it.
    public static func runWhileMainThreadWaits(_ body: @escaping @Sendable () async -> Void) {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await body()
            finished.signal()
        }
        finished.wait()
    }
}
