import WeftModel
import WeftTelemetry

/// The trace context a request came with, read from its head, and the one it goes upstream with,
/// written into the head: B3's separate fields (which sidecars send each other) are found in one
/// pass when the head arrives and rewritten where that pass found them when it goes upstream.
extension RequestSpan {
    /// The caller's context. B3's separate headers are read from the head's bytes in one pass
    /// (through Strings, five lookups by name, two allocations and ~4k instructions a request at
    /// an inbound sidecar); `b3` and `traceparent` as `TraceContext.extract` reads them. The first
    /// field of each name counts, as a lookup reads it. `spots`: where the B3 fields are, when
    /// each came once and `b3` did not come with them.
    static func incomingContext(_ headers: HeaderFields) -> (context: TraceContext, source: TraceContext.Source, spots: HeaderFields.Spots?)? {
        var seen = 0, twice = false, unkept = false
        var spots = HeaderFields.Spots()
        var trace: (UInt64, UInt64, Bool)?, spanID: UInt64?, parent: UInt64?, sampled: Bool?, debug = false
        headers.forEachField(ofAny: b3Names) { index, spot, value in
            guard seen & (1 << index) == 0 else {
                twice = true
                return
            }
            seen |= 1 << index
            spots[index] = spot
            if spot == nil { unkept = true }
            switch index {
            case 0: trace = Hex.traceID(value)
            case 1: spanID = Hex.sixtyFour(value)
            case 2: parent = Hex.sixtyFour(value)
            case 3: sampled = TraceContext.sampledValue(value)
            default: debug = value.count == 1 && value[0] == UInt8(ascii: "1")
            }
        }
        if let (high, low, wide) = trace, let spanID, spanID != 0, high | low != 0 {
            var context = TraceContext(traceIDHigh: high, traceIDLow: low, spanID: spanID, is128Bit: wide)
            context.parentSpanID = parent
            context.sampled = sampled
            context.debug = debug
            return (context, .b3, twice || unkept || headers.contains("b3") ? nil : spots)
        }
        // What the separate headers do not give (none, or ids that do not parse) is looked for the slow way, as before.
        return TraceContext.extract { headers.first(name: $0) }.map { ($0.context, $0.source, nil) }
    }

    /// The next hop's context, `context`, written into a request's `headers`. When the request
    /// `carried` one (a sidecar's caller sends B3's fields), B3's fields are rewritten where they
    /// lie (at `spots`, when the head's arrival found them there, else found again by name) and
    /// any other removed, as `TraceContext.writeB3Value` allows; with W3C's (`w3c`), all are
    /// removed and written anew. What is not there yet is added.
    static func propagate(_ context: TraceContext, w3c: Bool, carried: Bool, spots: HeaderFields.Spots?, to headers: inout HeaderFields) {
        var written = 0
        if carried {
            if w3c {
                headers.remove(ProxyServerHandler.traceContextNames)
            } else if let spots, let rewritten = rewrite(context, at: spots, in: &headers) {
                written = rewritten
            } else {
                // A field that cannot be rewritten where it lies (a parent id not 16 digits long,
                // `x-b3-sampled` beside `x-b3-flags: 1`) is removed, as are a name's later fields.
                headers.editValues(ofAny: contextNames) { index, value in
                    guard written & (1 << index) == 0, context.writeB3Value(index, into: value) else { return false }
                    written |= 1 << index
                    return true
                }
            }
        }
        context.forEachHeader(w3c: w3c, skipping: written) { name, value in headers.add(HeaderName(name), utf8: value) }
    }

    /// The B3 fields at `spots` rewritten with `context`'s values: the fields written (bits by
    /// `TraceContext.headerWireNames` index), or nil when one is not where it was or cannot take
    /// its value in place (then those written are written again by the walk by name).
    private static func rewrite(_ context: TraceContext, at spots: HeaderFields.Spots, in headers: inout HeaderFields) -> Int? {
        var written = 0
        let all = headers.editValues(at: spots) { index, value in
            guard context.writeB3Value(index, into: value) else { return false }
            written |= 1 << index
            return true
        }
        return all ? written : nil
    }

    /// B3's headers, separate and single, in `TraceContext.headerWireNames`' order.
    private static let contextNames = HeaderNameSet(TraceContext.headerWireNames.map { HeaderName($0) })

    /// B3's separate headers, in the order `incomingContext` reads them (`TraceContext.headerWireNames`' order).
    private static let b3Names: HeaderNameSet = ["x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags"]
}
