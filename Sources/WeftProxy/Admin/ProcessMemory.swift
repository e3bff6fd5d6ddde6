import Foundation

/// The proxy process's memory, as Envoy's admin `/memory` reports it (`total_physical_bytes`:
/// what the process holds resident, read from `/proc/self/statm`).
enum ProcessMemory {
    static var residentBytes: Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The `/memory` body.
    static var json: String {
        "{\"total_physical_bytes\": \"\(residentBytes ?? 0)\"}\n"
    }
}
