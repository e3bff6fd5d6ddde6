#if canImport(Glibc)
import Glibc
#endif

/// Caps glibc's malloc arenas for a proxy process, and gives freed memory back.
///
/// glibc gives threads that contend for the heap arenas of their own, up to eight per core; a proxy's
/// eight threads allocate little, yet each arena they open holds 30–200 KiB resident (about 650 KiB of an
/// idle sidecar's 3 MiB of private memory). The data path runs on the event loops, so one arena
/// for each and one more lose it nothing. Swift does not import `mallopt` or `malloc_trim`, hence the lookups.
enum MallocArenas {
    static func limit(to count: Int32) {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mArenaMax, count)
        #endif
    }

    /// Returns the heap's free pages to the system. A pushed configuration is built beside the one
    /// it replaces, so each push leaves the size of one configuration free in the heap; glibc keeps
    /// it resident, and a sidecar with a large mesh in view would grow with every push.
    static func trim() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
