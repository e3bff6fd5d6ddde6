#if canImport(Glibc)
import Glibc
#endif

/// Caps glibc's malloc arenas for a proxy process.
///
/// glibc gives threads that contend for the heap arenas of their own, up to eight per core; a proxy's
/// eight threads allocate little, yet each arena they open holds 30–200 KiB resident (about 650 KiB of an
/// idle sidecar's 3 MiB of private memory). The data path runs on one event loop thread, so two arenas
/// lose it nothing. Swift does not import `mallopt`, hence the lookup.
enum MallocArenas {
    static func limit(to count: Int32) {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mArenaMax, count)
        #endif
    }
}
