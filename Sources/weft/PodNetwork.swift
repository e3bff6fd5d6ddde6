#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Transparent mode's pod: a Linux network namespace (`weft-198-18-0-5`) with its own address on
/// a host bridge Weft makes (`weft0`, the first address of the range), joined by a veth pair; its
/// only routes are the bridge's subnet, the virtual IPs (local, so capture takes them) and a
/// default on the link, so nothing it sends leaves the bridge. The address is claimed with a
/// lock file held while the pod lives; a namespace whose lock nobody holds is a crashed run's,
/// and the next run (or `weft cleanup`) removes it, its processes and its files.
struct PodNetwork {
    /// The host bridge every pod joins.
    static let bridge = "weft0"
    /// The default address range: 198.18.0.0/15 is set aside for benchmarking networks (RFC 2544), so it meets nothing real.
    static let defaultRange = "198.18.0.0/15"
    /// What the run keeps its locks and files in.
    static var stateDirectory: String { ProcessInfo.processInfo.environment["WEFT_RUN_DIR"] ?? "/run/weft" }

    let name: String
    let podIP: String
    let range: AddressRange
    private let lock: Int32

    /// Where a pod's DNS settings live: `ip netns exec` mounts this over `/etc/resolv.conf`.
    var resolvConfPath: String { "/etc/netns/\(name)/resolv.conf" }
    /// The Unix socket the sidecar reaches the control plane through.
    var discoverySocket: String { "\(Self.stateDirectory)/\(name).discovery.sock" }

    /// A failure, said before anything is changed where it can be.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Checks what transparent mode needs, changing nothing: root, `ip`, `iptables-restore`, a NAT
    /// table the kernel offers, and a range that meets no address or route of the host's own.
    static func preflight(range: AddressRange, capture: Bool) throws {
        guard geteuid() == 0 else { throw Failure(description: "--netns needs root (network namespaces, veth pairs and iptables rules); run as root, or use host mode (without --netns)") }
        guard Shell.which("ip") != nil else { throw Failure(description: "--netns needs the ip command (Debian: iproute2)") }
        if capture {
            guard Shell.which("iptables-restore") != nil, Shell.which("iptables") != nil else { throw Failure(description: "--netns needs iptables and iptables-restore (Debian: iptables)") }
            guard Shell.which("setpriv") != nil else { throw Failure(description: "--netns needs setpriv (Debian: util-linux) to run the sidecar in its own group") }
            let probe = Shell.run(["iptables", "-t", "nat", "-S"])
            guard probe.status == 0 else {
                throw Failure(description: "--netns needs the kernel's NAT table (iptables -t nat failed: \(probe.error.trimmingCharacters(in: .whitespacesAndNewlines))); load the nf_nat and iptable_nat (or nft) modules")
            }
        }
        for line in Shell.run(["ip", "-4", "-o", "addr", "show"]).output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let index = fields.firstIndex(of: "inet"), index + 1 < fields.count, fields.count > 1, fields[1] != Substring(bridge) else { continue }
            if let other = AddressRange(String(fields[index + 1])), other.overlaps(range) {
                throw Failure(description: "the pod address range \(range) collides with \(fields[index + 1]) on \(fields[1]); choose another with --netns-range")
            }
        }
        for line in Shell.run(["ip", "-4", "route", "show"]).output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let first = fields.first, first != "default", !line.contains("dev \(bridge)") else { continue }
            if let other = AddressRange(first.contains("/") ? String(first) : "\(first)/32"), other.overlaps(range) {
                throw Failure(description: "the pod address range \(range) collides with the host's route \(line); choose another with --netns-range")
            }
        }
    }

    /// Makes a pod: namespace, veth, addresses, routes, DNS settings and, with `rules`, capture.
    static func create(range: AddressRange, rules: CaptureRules?, nameserver: String) throws -> PodNetwork {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        return try withNetworkLock {
            removeLeftovers()
            try ensureBridge(range: range)
            let (podIP, lock) = try claimAddress(in: range)
            let network = PodNetwork(name: "weft-" + podIP.replacingOccurrences(of: ".", with: "-"), podIP: podIP, range: range, lock: lock)
            do {
                try network.build(rules: rules, nameserver: nameserver)
            } catch {
                network.tearDown()
                throw error
            }
            return network
        }
    }

    private func build(rules: CaptureRules?, nameserver: String) throws {
        let hex = podIP.split(separator: ".").compactMap { UInt8($0) }.map { String(format: "%02x", $0) }.joined()
        let (hostSide, podSide) = ("wh\(hex)", "wp\(hex)")
        try Shell.check(["ip", "netns", "add", name])
        try Shell.check(["ip", "link", "add", hostSide, "type", "veth", "peer", "name", podSide])
        try Shell.check(["ip", "link", "set", podSide, "netns", name])
        try Shell.check(["ip", "link", "set", hostSide, "master", Self.bridge, "up"])
        try Shell.check(["ip", "-n", name, "link", "set", podSide, "name", "eth0"])
        try Shell.check(["ip", "-n", name, "addr", "add", "\(podIP)/\(range.prefixLength)", "dev", "eth0"])
        try Shell.check(["ip", "-n", name, "link", "set", "eth0", "up"])
        try Shell.check(["ip", "-n", name, "link", "set", "lo", "up"])
        // Virtual IPs are local: a connection to one is captured before any packet would leave.
        try Shell.check(["ip", "-n", name, "route", "add", "local", "240.240.0.0/16", "dev", "lo"])
        // Anything else is on the link: only the bridge's pods (and the host's bridge address) answer.
        try Shell.check(["ip", "-n", name, "route", "add", "default", "dev", "eth0"])
        try FileManager.default.createDirectory(atPath: "/etc/netns/\(name)", withIntermediateDirectories: true)
        try resolvConf(nameserver: nameserver).write(toFile: resolvConfPath, atomically: true, encoding: .utf8)
        if let rules { try Shell.check(["ip", "netns", "exec", name, "iptables-restore"], input: rules.restoreInput) }
    }

    /// The pod's `resolv.conf`: Kubernetes' search path from the pod's namespace is added by the runner.
    func resolvConf(nameserver: String) -> String {
        "nameserver \(nameserver)\noptions ndots:5\n"
    }

    /// Writes the search path of the workload's namespace (Kubernetes': `NS.svc.cluster.local svc.cluster.local cluster.local`).
    func setSearchPath(namespace: String, nameserver: String) throws {
        try "search \(namespace).svc.cluster.local svc.cluster.local cluster.local\n\(resolvConf(nameserver: nameserver))"
            .write(toFile: resolvConfPath, atomically: true, encoding: .utf8)
    }

    /// Removes the pod: its processes, namespace (the veth pair goes with it), files and lock;
    /// the bridge too once no pod is left.
    func remove() {
        Self.withNetworkLockIgnoringErrors {
            tearDown()
            Self.removeBridgeIfUnused()
        }
    }

    private func tearDown() {
        Self.removeNamespace(name)
        close(lock)
        unlink(Self.lockPath(podIP))
    }

    /// Removes every pod namespace whose run is gone (its address lock is free), with what it left.
    static func removeLeftovers() {
        for name in namespaces() {
            let ip = String(name.dropFirst("weft-".count)).replacingOccurrences(of: "-", with: ".")
            let path = lockPath(ip)
            let descriptor = open(path, O_CREAT | O_RDWR, 0o644)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                removeNamespace(name)
                unlink(path)
            }
            close(descriptor)
        }
    }

    /// `weft cleanup`: leftovers, and the bridge when no pod uses it.
    static func cleanup() throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try withNetworkLock {
            removeLeftovers()
            removeBridgeIfUnused()
        }
    }

    static func namespaces() -> [String] {
        Shell.run(["ip", "netns", "list"]).output.split(separator: "\n").compactMap { line in
            let name = line.split(separator: " ").first.map(String.init) ?? ""
            return name.hasPrefix("weft-") ? name : nil
        }
    }

    private static func removeNamespace(_ name: String) {
        // Its processes first (a crashed run's sidecar and app), so nothing keeps it alive.
        for pid in Shell.run(["ip", "netns", "pids", name]).output.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        _ = Shell.run(["ip", "netns", "del", name])
        try? FileManager.default.removeItem(atPath: "/etc/netns/\(name)")
        try? FileManager.default.removeItem(atPath: "\(stateDirectory)/\(name).discovery.sock")
    }

    private static func ensureBridge(range: AddressRange) throws {
        let address = "\(range.address(at: 1))/\(range.prefixLength)"
        if Shell.run(["ip", "link", "show", bridge]).status != 0 {
            try Shell.check(["ip", "link", "add", bridge, "type", "bridge"])
        }
        if !Shell.run(["ip", "-4", "-o", "addr", "show", "dev", bridge]).output.contains(" \(address) ") {
            _ = Shell.run(["ip", "addr", "flush", "dev", bridge])
            try Shell.check(["ip", "addr", "add", address, "dev", bridge])
        }
        try Shell.check(["ip", "link", "set", bridge, "up"])
    }

    private static func removeBridgeIfUnused() {
        if namespaces().isEmpty, Shell.run(["ip", "link", "show", bridge]).status == 0 { _ = Shell.run(["ip", "link", "del", bridge]) }
    }

    private static func lockPath(_ ip: String) -> String { "\(stateDirectory)/\(ip).lock" }

    /// An address of the range nobody holds (the bridge's is the first; pods from the second on).
    private static func claimAddress(in range: AddressRange) throws -> (String, Int32) {
        let count = min(range.size - 2, 65_000)
        guard count > 1 else { throw Failure(description: "the pod address range \(range) is too small") }
        let start = Int.random(in: 0..<count)
        for offset in 0..<count {
            let ip = range.address(at: 2 + (start + offset) % count)
            let descriptor = open(lockPath(ip), O_CREAT | O_RDWR, 0o644)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0, Shell.run(["ip", "netns", "pids", "weft-" + ip.replacingOccurrences(of: ".", with: "-")]).status != 0 {
                return (ip, descriptor)
            }
            close(descriptor)
        }
        throw Failure(description: "no free pod address in \(range)")
    }

    /// Serializes runs' changes to the shared bridge and the leftovers.
    private static func withNetworkLock<T>(_ body: () throws -> T) throws -> T {
        let descriptor = open("\(stateDirectory)/network.lock", O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(stateDirectory)/network.lock") }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        return try body()
    }

    private static func withNetworkLockIgnoringErrors(_ body: () -> Void) {
        _ = try? withNetworkLock(body)
    }
}
