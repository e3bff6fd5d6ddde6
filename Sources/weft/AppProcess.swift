#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers

/// The application process of `weft run`: started once, signals forwarded, exit status kept.
///
/// Spawned with `posix_spawn` and waited for with `waitpid` on a thread of its own, not with
/// Foundation's `Process`: on Linux that reports a child's end only once every descriptor it
/// handed the child is closed, so an app that leaves a background child behind (`sh -c 'cmd &
/// wait'` ending on SIGTERM) kept `weft run` alive as long as the orphan lived. A container ends
/// with its first process; so does the workload.
final class AppProcess: Sendable {
    private let command: [String]
    private let environment: [String: String]
    private let state = NIOLockedValueBox<(pid: pid_t?, started: Bool, status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, false, nil, []))

    init(command: [String], environment: [String: String]) {
        self.command = command
        self.environment = environment
    }

    /// Starts the app (once); a failure to start counts as exit status 127.
    func start() {
        let first = state.withLockedValue { state -> Bool in
            guard !state.started, state.status == nil else { return false }
            state.started = true
            return true
        }
        guard first else { return }
        // The app starts as from a shell: every signal default and none blocked. Weft blocks most
        // signals on its threads (Dispatch's, NIO's, the stop signals) and ignores SIGPIPE (NIO);
        // `env --default-signal` resets the dispositions and the spawn's mask is empty.
        let arguments = ["/usr/bin/env", "--default-signal", "--"] + command
        guard let pid = Self.spawn(arguments, environment: environment.map { "\($0.key)=\($0.value)" }) else {
            FileHandle.standardError.write(Data("weft run: cannot start \(command.joined(separator: " "))\n".utf8))
            return finish(127)
        }
        state.withLockedValue { $0.pid = pid }
        SignalForwarding.install { [weak self] signal in
            guard let pid = self?.state.withLockedValue({ $0.status == nil ? $0.pid : nil }) else { return }
            kill(pid, signal)
        }
        Thread.detachNewThread { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // A shell reports an app killed by signal N as 128+N.
            let signal = status & 0x7f
            self?.finish(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
        }
    }

    /// Sends SIGTERM to the app if it is still running.
    /// An app that never started counts as terminated by SIGTERM (status 143).
    func terminate() {
        guard let pid = state.withLockedValue({ $0.pid }) else { return finish(128 + SIGTERM) }
        if state.withLockedValue({ $0.status == nil }) { kill(pid, SIGTERM) }
    }

    func runToCompletion() async throws -> Int32 {
        start()
        return await waitForExit()
    }

    /// Whether the process has ended (or never started).
    var hasExited: Bool { state.withLockedValue { $0.status != nil } }

    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLockedValue { state -> Int32? in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    private func finish(_ status: Int32) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Int32, Never>] in
            guard state.status == nil else { return [] }
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// `posix_spawn` of `arguments` (the first a path) with `environment` and an empty signal mask; nil when it fails.
    private static func spawn(_ arguments: [String], environment: [String]) -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // Only stdin, stdout and stderr go to the app: the sidecar's sockets (its listeners, its
        // discovery stream), its pod-IP lease and its epoll descriptors have no O_CLOEXEC, and an
        // app holding them would keep them alive after the sidecar let them go.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        Self.closeInheritedDescriptors(&actions)
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp) == 0 else { return nil }
        return pid
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Adds "close every descriptor from 3 up" to `actions`: glibc's `posix_spawn_file_actions_addclosefrom_np`
    /// (2.34, not in Swift's Glibc module, so looked up), else marks every open one close-on-exec.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let descriptor = Int32(name), descriptor > 2 else { continue }
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
