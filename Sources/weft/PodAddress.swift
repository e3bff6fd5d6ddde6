import Foundation

/// Pod IPs in host mode: a loopback address per workload, claimed with a lock file so concurrent
/// `weft run`s never share one; the lock goes when the process does (even on a crash).
enum PodAddress {
    /// A claimed pod IP and the app's private address beside it.
    final class Lease: Sendable {
        let podIP: String
        let appAddress: String
        private let descriptor: Int32

        init(fixed podIP: String) {
            self.podIP = podIP
            let parts = podIP.split(separator: ".")
            self.appAddress = parts.count == 4 && parts[0] == "127" ? "127.\((Int(parts[1]) ?? 1) + 100).\(parts[2]).\(parts[3])" : podIP
            self.descriptor = -1
        }

        init(podIP: String, appAddress: String, descriptor: Int32) {
            self.podIP = podIP
            self.appAddress = appAddress
            self.descriptor = descriptor
        }

        deinit { if descriptor >= 0 { close(descriptor) } }
    }

    /// Thrown when every candidate address is taken.
    struct Exhausted: Error, CustomStringConvertible {
        var description: String { "no free pod IP in 127.1.0.0/16" }
    }

    /// A pod-name suffix (`x7k2q`) derived from the pod IP, so names are unique while leases are.
    static func nameSuffix(for podIP: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var value = podIP.split(separator: ".").reduce(UInt64(1469598103934665603)) { ($0 ^ (UInt64($1) ?? 0)) &* 1099511628211 }
        var suffix = ""
        for _ in 0..<5 {
            suffix.append(alphabet[Int(value % UInt64(alphabet.count))])
            value /= UInt64(alphabet.count)
        }
        return suffix
    }

    static func allocate() throws -> Lease {
        let directory = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/weft-pod-ips"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let start = Int.random(in: 0..<(250 * 250))
        for offset in 0..<(250 * 250) {
            let index = (start + offset) % (250 * 250)
            let (third, fourth) = (index / 250 + 1, index % 250 + 2)
            let podIP = "127.1.\(third).\(fourth)"
            let descriptor = open("\(directory)/\(podIP).lock", O_CREAT | O_RDWR, 0o644)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                return Lease(podIP: podIP, appAddress: "127.101.\(third).\(fourth)", descriptor: descriptor)
            }
            close(descriptor)
        }
        throw Exhausted()
    }
}
