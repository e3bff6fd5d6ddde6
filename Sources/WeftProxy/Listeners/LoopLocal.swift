import NIOCore

/// One value per event loop of a proxy (an upstream pool, a listener's context, a metrics table):
/// a connection uses the value of the loop it was accepted on, so what it touches per request is
/// owned by that loop and needs no lock (Envoy's per-worker state).
struct LoopLocal<Value: Sendable>: Sendable {
    private let entries: [(loop: any EventLoop, value: Value)]

    /// A value made for each loop of `group`.
    init(_ group: any EventLoopGroup, _ make: (any EventLoop) -> Value) {
        entries = LoopLocal.loops(of: group).map { ($0, make($0)) }
    }

    private init(entries: [(loop: any EventLoop, value: Value)]) {
        self.entries = entries
    }

    /// The value of `loop`; a loop not of the group (never, for the proxy's own channels) gets the first's.
    subscript(loop: any EventLoop) -> Value {
        for entry in entries where entry.loop === loop { return entry.value }
        return entries[0].value
    }

    /// The position of `loop` in the group (Envoy's worker number), 0 for a loop not of it.
    func worker(of loop: any EventLoop) -> Int {
        entries.firstIndex { $0.loop === loop } ?? 0
    }

    /// Every loop's value, in the group's order.
    var all: [Value] { entries.map(\.value) }

    /// The same loops with values derived from these.
    func map<Other: Sendable>(_ transform: (any EventLoop, Value) -> Other) -> LoopLocal<Other> {
        LoopLocal<Other>(entries: entries.map { ($0.loop, transform($0.loop, $0.value)) })
    }

    /// The loops of a group (an event loop is a group of one).
    static func loops(of group: any EventLoopGroup) -> [any EventLoop] {
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() { loops.append(loop) }
        return loops.isEmpty ? [group.next()] : loops
    }
}
