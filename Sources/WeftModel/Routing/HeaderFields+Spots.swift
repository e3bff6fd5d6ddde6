/// Fields found once and edited later where they lie, without a second walk and lookup by name:
/// a proxy reads the trace context's fields when a head arrives and rewrites the same fields when
/// it forwards the head (at an inbound sidecar the second walk, its lookups and the names'
/// compares were ~700 instructions a request).
extension HeaderFields {
    /// Where a field was: its place in the index and its line's offset in the storage, in one word.
    /// Lines are only ever added after those there, so the field with that line is the same field;
    /// a removal before it moves it to a lower place only (a hop-by-hop field the caller sent
    /// before the trace context, dropped on the way).
    public struct Spot: Sendable, Equatable {
        /// (line + 1) << 8 | position; 0 for a field past the 256th or a line past 16 MiB (not kept).
        let packed: UInt32

        init(position: Int, line: Int32) {
            packed = position < 256 && line >= 0 && line < (1 << 24) - 1 ? UInt32(line + 1) << 8 | UInt32(position) : 0
        }

        init(packed: UInt32) {
            self.packed = packed
        }
    }

    /// Up to eight spots, by the index of the name (in a `HeaderNameSet`) whose field was found
    /// there: four words, copied as cheaply as the value that holds them.
    public struct Spots: Sendable, Equatable {
        private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        public init() {}

        /// The spot of name `index` (0–7); nil when none was found, or it could not be kept.
        public subscript(index: Int) -> Spot? {
            get {
                precondition(index >= 0 && index < 8, "a spot index is 0...7")
                let packed = withUnsafeBytes(of: words) { $0.load(fromByteOffset: index &* 4, as: UInt32.self) }
                return packed == 0 ? nil : Spot(packed: packed)
            }
            set {
                precondition(index >= 0 && index < 8, "a spot index is 0...7")
                withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: newValue?.packed ?? 0, toByteOffset: index &* 4, as: UInt32.self) }
            }
        }

        public static func == (lhs: Spots, rhs: Spots) -> Bool {
            lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
        }
    }

    /// `forEachValue(ofAny:)` that gives each field's spot too (nil for one that cannot be kept).
    public func forEachField(ofAny names: HeaderNameSet, _ body: (Int, Spot?, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard nameBits & names.bits != 0 else { return }
        try withLines(or: ()) { lines in
            for position in 0..<lines.fieldCount {
                let field = lines.field(position)
                if let index = names.index(of: field, in: lines.bytes) {
                    let spot = Spot(position: position, line: field.line)
                    try body(index, spot.packed == 0 ? nil : spot, lines.value(of: field))
                }
            }
        }
    }

    /// Lets `body` overwrite the value of each field found at `spots` (its length stays), given
    /// the name's index there, in index order; true when every one is still here and `body` said
    /// true for each. False as soon as one is not here or `body` says false (those before it are
    /// written). A field is looked for at its place, then at the places before it (its line's
    /// offset alone read).
    public mutating func editValues(at spots: Spots, _ body: (Int, UnsafeMutableBufferPointer<UInt8>) -> Bool) -> Bool {
        guard storage != nil else { return false }
        let lines = reserve(bytes: 0, fields: 0)
        for index in 0..<8 {
            guard let spot = spots[index] else { continue }
            let line = Int32(truncatingIfNeeded: spot.packed >> 8) &- 1
            var position = Swift.min(Int(spot.packed & 0xFF), lines.fieldCount &- 1)
            while position >= 0, lines.field(position).line != line { position &-= 1 }
            guard position >= 0 else { return false }
            let field = lines.field(position)
            guard body(index, UnsafeMutableBufferPointer(start: lines.base + Int(field.valueStart), count: Int(field.valueEnd &- field.valueStart))) else { return false }
        }
        return true
    }
}
